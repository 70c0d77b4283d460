import type { LogFormat } from './collect-config.js';
import { normalizeIp } from './client-ips.js';

/** What one log line says: the client address it names and the certificate-validation error it reports, if any. */
export interface LogFinding {
  ip: string | null;
  error: string | null;
}

/**
 * Certificate-validation error texts as OpenSSL, BoringSSL (Envoy), nginx and HAProxy write them,
 * mapped to the cert_validation_errors names of coldroot.metrics.v1. First match wins, so the
 * specific texts come before 'certificate verify failed'. Spaces may be underscores (Envoy's
 * %DOWNSTREAM_TRANSPORT_FAILURE_REASON% replaces them).
 */
const ERROR_TEXTS: Array<[RegExp, string]> = [
  [/alert[ _]unknown[ _]ca|unable[ _]to[ _]get[ _](?:local[ _])?issuer[ _]certificate|unable[ _]to[ _]verify[ _]the[ _]first[ _]certificate|CA[ _]chain[ _]cannot[ _]be[ _]verified/i, 'unknown_ca'],
  [/self[ _-]signed[ _]certificate/i, 'self_signed'],
  [/certificate[ _]has[ _]expired|alert[ _]certificate[ _]expired|CERT_HAS_EXPIRED/i, 'certificate_expired'],
  [/certificate[ _]is[ _]not[ _]yet[ _]valid/i, 'certificate_not_yet_valid'],
  [/certificate[ _]revoked/i, 'certificate_revoked'],
  [/alert[ _]bad[ _]certificate/i, 'bad_certificate'],
  [/alert[ _]unsupported[ _]certificate|unsupported[ _]certificate[ _]purpose/i, 'unsupported_certificate'],
  [/alert[ _]certificate[ _]unknown/i, 'certificate_unknown'],
  [/alert[ _]certificate[ _]required|peer[ _]did[ _]not[ _]return[ _]a[ _]certificate|no[ _]required[ _]SSL[ _]certificate[ _]was[ _]sent/i, 'certificate_required'],
  [/hostname[ _]mismatch|certificate[ _]name[ _]mismatch/i, 'hostname_mismatch'],
  [/client[ _]certificate[ _]not[ _]trusted/i, 'certificate_untrusted'],
  [/certificate[ _]verify[ _]failed|certificate[ _]verify[ _]error/i, 'certificate_verify_failed'],
];

/** The metrics name of a certificate-validation error text, or null when the text is about something else (ciphers, versions…). */
export function certErrorName(text: string): string | null {
  for (const [re, name] of ERROR_TEXTS) if (re.test(text)) return name;
  return null;
}

/** A custom pattern's `error` group, as a count-map key: a known name, or the text made safe (≤ 64 of [a-z0-9_]). */
function customErrorName(text: string): string | null {
  const known = certErrorName(text);
  if (known) return known;
  const safe = text.toLowerCase().replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64);
  return safe === '' ? null : safe;
}

// nginx error.log: "2026/03/02 10:15:01 [info] 812#812: *4411 SSL_do_handshake() failed (…) while SSL handshaking, client: 203.0.113.9, server: 0.0.0.0:443"
const NGINX_ERROR = /^\d{4}\/\d{2}\/\d{2} \d{2}:\d{2}:\d{2} \[[a-z]+\] /;
const NGINX_CLIENT = /, client: ([0-9A-Fa-f.:]+)(?:,|$)/;
const NGINX_TLS = /SSL_do_handshake\(\) failed|client SSL certificate verify error|SSL certificate error|peer closed connection in SSL handshake/;
// nginx access.log (combined, or any format starting with $remote_addr).
const LEADING_IP = /^([0-9A-Fa-f.:]+) /;

function nginx(line: string): LogFinding {
  if (NGINX_ERROR.test(line)) {
    const client = NGINX_CLIENT.exec(line);
    return { ip: client ? normalizeIp(client[1]) : null, error: NGINX_TLS.test(line) ? certErrorName(line) : null };
  }
  const m = LEADING_IP.exec(line);
  return { ip: m ? normalizeIp(m[1]) : null, error: null };
}

// "Mar  2 10:15:01 lb1 haproxy[2345]: 203.0.113.9:51234 [02/Mar/2026:10:15:01.123] fe_https/1: SSL handshake failure"
const HAPROXY = /haproxy\[\d+\]: (\S+):(\d{1,5}) \[[^\]]+\] (.*)$/;
const HAPROXY_TLS = /SSL handshake failure|SSL client CA chain cannot be verified|SSL client certificate not trusted|Server presented an SSL certificate different|Timeout during SSL handshake/;

function haproxy(line: string): LogFinding {
  const m = HAPROXY.exec(line);
  if (!m) return { ip: null, error: null };
  const rest = m[3];
  let error: string | null = null;
  if (HAPROXY_TLS.test(rest)) {
    // HAProxy's generic handshake message names no cause (often a rejected client certificate on an mTLS frontend).
    error = certErrorName(rest) ?? (/Timeout during SSL handshake/.test(rest) ? null : 'handshake_failure');
  }
  return { ip: normalizeIp(m[1].replace(/^\[|\]$/g, '')), error };
}

// Envoy: access log lines whose format includes %DOWNSTREAM_REMOTE_ADDRESS% (the only unquoted address:port
// field in the shipped format, see docs/agent-metrics.md), or connection debug lines "remote address:IP:port,TLS_error:…".
const ENVOY_TLS = /TLS_error:\|?\d*:?SSL[ _]routines:[A-Za-z_]*:([A-Za-z0-9_ ]+?)(?::|$|\s|TLS_error_end)/;
const ENVOY_REMOTE = /remote address:(\[[0-9A-Fa-f:.]+\]|[0-9.]+):\d{1,5}/;
const ENVOY_ADDRESS = /(?:^|\s)(\[[0-9A-Fa-f:.]+\]|\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}(?=\s|$)/;

function envoy(line: string): LogFinding {
  let ip: string | null = null;
  const remote = ENVOY_REMOTE.exec(line);
  if (remote) ip = normalizeIp(remote[1].replace(/^\[|\]$/g, ''));
  else {
    const unquoted = line.replace(/"(?:[^"\\]|\\.)*"/g, '""');
    const a = ENVOY_ADDRESS.exec(unquoted);
    if (a) ip = normalizeIp(a[1].replace(/^\[|\]$/g, ''));
  }
  const tls = ENVOY_TLS.exec(line);
  const error = tls ? certErrorName(line) ?? certErrorName(tls[1].replace(/ /g, '_')) : null;
  return { ip, error };
}

export type LineParser = (line: string) => LogFinding;

/** The parser for a configured log: a shipped format, or a custom regex with named groups `ip` and `error`. */
export function lineParser(format: LogFormat, pattern?: string): LineParser {
  switch (format) {
    case 'nginx': return nginx;
    case 'haproxy': return haproxy;
    case 'envoy': return envoy;
    case 'custom': {
      const re = new RegExp(pattern ?? '(?!)');
      return (line) => {
        const g = re.exec(line)?.groups;
        if (!g) return { ip: null, error: null };
        return { ip: g.ip ? normalizeIp(g.ip.replace(/^\[|\]$/g, '')) : null, error: g.error ? customErrorName(g.error) : null };
      };
    }
  }
}
