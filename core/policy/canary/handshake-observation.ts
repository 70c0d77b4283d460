/**
 * One TLS handshake as the canary controller sees it, and the names its failures go by. Cause
 * names follow the metrics bundle (hs_failed_by): 'alert:<TLS alert name>' for an alert the
 * client sent, 'error:<code>' for anything else.
 */

/** Which certificate served the connection. */
export type Arm = 'old' | 'new';

export interface HandshakeObservation {
  arm: Arm;
  /** When the outcome became known, on the controller's clock (ms since the epoch). */
  at: number;
  ok: boolean;
  /** From the TCP accept to the handshake's end, in ms; present when ok. */
  handshakeMs?: number;
  /** Negotiated protocol ('TLSv1.3') and cipher suite, when ok. */
  protocol?: string;
  cipher?: string;
  /** Why it failed, when not ok: 'alert:unknown_ca', 'error:closed_during_handshake'… */
  cause?: string;
}

/** TLS alert descriptions (RFC 8446 §6, RFC 5246 §7.2, RFC 6066) by number. */
export const TLS_ALERTS: Readonly<Record<number, string>> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed',
  22: 'record_overflow', 30: 'decompression_failure', 40: 'handshake_failure', 41: 'no_certificate',
  42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked', 45: 'certificate_expired',
  46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca', 49: 'access_denied',
  50: 'decode_error', 51: 'decrypt_error', 60: 'export_restriction', 70: 'protocol_version',
  71: 'insufficient_security', 80: 'internal_error', 86: 'inappropriate_fallback', 90: 'user_canceled',
  100: 'no_renegotiation', 109: 'missing_extension', 110: 'unsupported_extension',
  111: 'certificate_unobtainable', 112: 'unrecognized_name', 113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value', 115: 'unknown_psk_identity', 116: 'certificate_required',
  120: 'no_application_protocol',
};

/**
 * Failures that say the client refused the certificate itself (its chain, its algorithm), as
 * opposed to the network or the client's own trouble: a burst of these rolls the new certificate
 * back at once. The two errors are the server finding nothing the client can verify (an ECDSA-only
 * certificate for an RSA-only client).
 */
export const CERTIFICATE_REJECTION_CAUSES: readonly string[] = [
  'alert:bad_certificate', 'alert:unsupported_certificate', 'alert:certificate_revoked',
  'alert:certificate_expired', 'alert:certificate_unknown', 'alert:unknown_ca', 'alert:decrypt_error',
  'alert:bad_certificate_status_response',
  'error:ERR_SSL_NO_SHARED_CIPHER', 'error:ERR_SSL_NO_SUITABLE_SIGNATURE_ALGORITHM',
];

/** A peer that hangs up before the handshake ends: how Node clients (and others) refuse a certificate they cannot verify. */
export const CLOSED_DURING_HANDSHAKE = 'error:closed_during_handshake';
/** A peer that completes the handshake and hangs up without sending a byte: Node clients on TLS 1.2 refusing the certificate. */
export const CLOSED_AFTER_HANDSHAKE = 'error:closed_after_handshake';
export const HANDSHAKE_TIMEOUT = 'error:handshake_timeout';

const OPENSSL_ALERT_CODE = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_([A-Z_]+)$/;
const CAUSE_SAFE = /[^A-Za-z0-9_.:/+-]/g;

/** The cause name of an error Node raised on a server-side TLS socket. */
export function causeFromTlsError(err: unknown): string {
  const e = err as { code?: unknown; message?: unknown } | null;
  const code = typeof e?.code === 'string' ? e.code : '';
  const alert = OPENSSL_ALERT_CODE.exec(code);
  if (alert) return `alert:${alert[1].toLowerCase()}`;
  const number = /SSL alert number (\d+)/.exec(String(e?.message ?? ''));
  if (number && TLS_ALERTS[Number(number[1])]) return `alert:${TLS_ALERTS[Number(number[1])]}`;
  // tls.Server reports a peer that hung up mid-handshake as ECONNRESET 'socket hang up'.
  if (code === 'ECONNRESET' && /socket hang up/.test(String(e?.message ?? ''))) return CLOSED_DURING_HANDSHAKE;
  if (code) return `error:${code}`.replace(CAUSE_SAFE, '_').slice(0, 64);
  return 'error:unknown';
}

/** The cause name of an alert number, as logged by OpenSSL ('SSL alert number 48'). */
export function causeFromAlertNumber(n: number): string {
  return TLS_ALERTS[n] ? `alert:${TLS_ALERTS[n]}` : `alert:unknown_${n}`;
}

/**
 * The cause name of an OpenSSL reason string, as nginx and HAProxy log it
 * ('tlsv1 alert unknown ca', 'sslv3 alert certificate unknown', 'no shared cipher').
 */
export function causeFromOpensslReason(reason: string): string {
  const r = reason.trim().toLowerCase();
  const alert = /(?:sslv3|tlsv1|tlsv13) alert ([a-z ]+)$/.exec(r);
  if (alert) {
    const name = alert[1].trim().replace(/ /g, '_');
    const known = Object.values(TLS_ALERTS).find((n) => n === name || n.replace(/_/g, '') === name.replace(/_/g, ''));
    return `alert:${known ?? name}`;
  }
  const code = `ERR_SSL_${r.replace(/[^a-z0-9]+/g, '_').replace(/^_|_$/g, '').toUpperCase()}`;
  return `error:${code}`.slice(0, 64);
}
