import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { connect, type TLSSocket } from 'node:tls';
import type { ProbeConfig } from './collect-config.js';

export const DEFAULT_PROBE_TIMEOUT_MS = 5_000;

export type ProbeResult =
  | { name: string; ok: true; handshakeMs: number; protocol: string; cipher: string }
  /** `failure` is a coldroot.metrics.v1 hs_failed_by key: 'alert:<tls alert>' or 'error:<name>'; `code` is what Node reported. */
  | { name: string; ok: false; failure: string; code: string; message: string };

/**
 * Certificate-verification results the client side detects itself; OpenSSL's ssl_verify_alarm_type
 * names the alert a TLS client sends for each, and the metrics keep that name so a probe's view
 * and a server's view of the same fault (e.g. an untrusted chain) land under one key.
 */
const VERIFY_ALERTS: Record<string, string> = {
  UNABLE_TO_GET_ISSUER_CERT: 'unknown_ca',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'unknown_ca',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'unknown_ca',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'unknown_ca',
  SELF_SIGNED_CERT_IN_CHAIN: 'unknown_ca',
  CERT_UNTRUSTED: 'unknown_ca',
  CERT_CHAIN_TOO_LONG: 'unknown_ca',
  INVALID_CA: 'unknown_ca',
  CERT_HAS_EXPIRED: 'certificate_expired',
  CRL_HAS_EXPIRED: 'certificate_expired',
  CERT_REVOKED: 'certificate_revoked',
  CERT_NOT_YET_VALID: 'bad_certificate',
  CERT_SIGNATURE_FAILURE: 'bad_certificate',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'bad_certificate',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'bad_certificate',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'bad_certificate',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'bad_certificate',
  INVALID_PURPOSE: 'unsupported_certificate',
  CERT_REJECTED: 'bad_certificate',
};

const SOCKET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection_refused',
  ECONNRESET: 'connection_reset',
  EPIPE: 'connection_reset',
  ETIMEDOUT: 'timeout',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EHOSTUNREACH: 'host_unreachable',
  ENETUNREACH: 'network_unreachable',
  EADDRNOTAVAIL: 'address_unavailable',
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname_mismatch',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'timeout',
};

/** hs_failed_by keys are at most 64 characters of [A-Za-z0-9_.:/+-]. */
function key(prefix: 'alert' | 'error', name: string): string {
  return `${prefix}:${name.toLowerCase().replace(/[^a-z0-9_]+/g, '_').slice(0, 64 - prefix.length - 1)}`;
}

/**
 * Maps a Node/OpenSSL error code to the failure key of coldroot.metrics.v1:
 * ERR_SSL_TLSV1_ALERT_UNKNOWN_CA (an alert the server sent) → alert:unknown_ca,
 * CERT_HAS_EXPIRED (our own verification) → alert:certificate_expired, ECONNREFUSED → error:connection_refused.
 */
export function failureKey(code: string | undefined): string {
  if (!code) return 'error:other';
  const alert = /^ERR_SSL_(?:SSLV3|TLSV1|TLSV13)_ALERT_(.+)$/.exec(code);
  if (alert) return key('alert', alert[1]);
  if (VERIFY_ALERTS[code]) return `alert:${VERIFY_ALERTS[code]}`;
  if (SOCKET_ERRORS[code]) return `error:${SOCKET_ERRORS[code]}`;
  if (code.startsWith('ERR_SSL_')) return key('error', code.slice('ERR_SSL_'.length));
  return key('error', code.replace(/^ERR_/, ''));
}

/**
 * One real TLS handshake to a configured endpoint, with the certificate checked against the
 * probe's CA file (or Node's roots) and the server name; never throws. The time is taken from
 * TCP connect to the end of the handshake (verification included), so DNS and queueing stay out.
 */
export async function probeTls(probe: ProbeConfig): Promise<ProbeResult> {
  const timeoutMs = probe.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
  let ca: Buffer | undefined;
  if (probe.caFile) {
    try {
      ca = await readFile(probe.caFile);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
      return { name: probe.name, ok: false, failure: 'error:ca_file_unreadable', code, message: `Cannot read caFile ${probe.caFile}: ${(e as Error).message}` };
    }
  }
  const servername = probe.servername ?? (isIP(probe.host) ? undefined : probe.host);
  return new Promise((resolve) => {
    let tcpAt = process.hrtime.bigint();
    let settled = false;
    let socket: TLSSocket;
    const finish = (r: ProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const fail = (code: string, message: string) => finish({ name: probe.name, ok: false, failure: failureKey(code), code, message });
    const timer = setTimeout(() => fail('ETIMEDOUT', `No TLS handshake with ${probe.host}:${probe.port} within ${timeoutMs} ms`), timeoutMs);
    // Without a servername (an IP literal) Node checks the certificate's IP SANs against host.
    socket = connect({ host: probe.host, port: probe.port, ca, servername, rejectUnauthorized: true });
    socket.once('connect', () => { tcpAt = process.hrtime.bigint(); });
    socket.once('secureConnect', () => {
      const ms = Number(process.hrtime.bigint() - tcpAt) / 1e6;
      finish({ name: probe.name, ok: true, handshakeMs: Math.round(ms * 1000) / 1000, protocol: socket.getProtocol() ?? 'unknown', cipher: socket.getCipher()?.standardName ?? socket.getCipher()?.name ?? 'unknown' });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => fail(e.code ?? 'UNKNOWN', e.message));
    socket.once('close', () => fail('ECONNRESET', `${probe.host}:${probe.port} closed the connection during the handshake`));
  });
}
