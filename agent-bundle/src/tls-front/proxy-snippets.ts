import { createHash } from 'node:crypto';
import { ColdrootError } from '../../../core/errors.js';
import { onGrid } from '../../../core/policy/canary/step-policy.js';

/**
 * The current exposure as configuration for hosts that terminate TLS in nginx or HAProxy. The agent
 * rewrites the file after every exposure change and reloads the proxy (the agent's reload action);
 * the proxy's logs come back through proxy-log-reader.ts. Formats are fixed here so that the
 * reader can parse them exactly.
 */

export interface SnippetInput {
  rolloutId: string;
  exposurePercent: number;
  /** Files the proxy loads: nginx needs `<dir>/old.crt|key` and `<dir>/new.crt|key`; HAProxy `<dir>/old.pem|new.pem` (chain + key). */
  certificateDir: string;
  /** HAProxy: where clients connect, and the backend the TLS frontends hand plaintext to. */
  bind?: string;
  backend?: string;
  /** HAProxy: mode of the two TLS frontends, matching the backend's (default tcp). */
  mode?: 'tcp' | 'http';
  /** Where the canary log goes (nginx access log path). */
  logPath?: string;
  /** Stamped into the header comment; the snippet itself does not depend on time. */
  generatedAt?: Date;
}

export interface NginxSnippet {
  /** Goes in the http { } block (Debian: /etc/nginx/conf.d/coldroot-canary.conf). */
  http: string;
  /** Goes in the TLS server { } block (include it there). */
  server: string;
}

const SAFE_PATH = /^\/[A-Za-z0-9._/-]*$/;
const SAFE_NAME = /^[A-Za-z0-9._-]+$/;
const SAFE_BIND = /^[A-Za-z0-9.:[\]*@_/-]+$/;

function check(value: string, pattern: RegExp, what: string): string {
  // These strings are written into proxy configuration: anything else could inject directives.
  if (!pattern.test(value)) throw new ColdrootError('SNIPPET_BAD_VALUE', `${what} '${value}' contains characters not allowed in a proxy configuration`, `Use only ${pattern.source.replace(/[\^$]/g, '')}`);
  return value;
}

function percentText(p: number): string {
  return onGrid(p).toFixed(2).replace(/\.?0+$/, '');
}

function header(input: SnippetInput, proxy: string): string {
  const e = onGrid(input.exposurePercent);
  const when = input.generatedAt ? ` (${input.generatedAt.toISOString()})` : '';
  return `# Coldroot canary rollout ${input.rolloutId}: ${percentText(e)}% of clients get the new certificate${when}.\n# Written by the Coldroot agent on every exposure change, then a reload of ${proxy}; do not edit.\n`;
}

/**
 * nginx: split_clients on "${remote_addr}<rollout id>" (the same split as the agent's own front)
 * selects the certificate files through a variable (nginx ≥ 1.15.9 loads them per handshake; keep
 * them on local disk). The access log records the first request of each connection with its arm.
 */
export function nginxSnippet(input: SnippetInput): NginxSnippet {
  const id = check(input.rolloutId, SAFE_NAME, 'rollout id');
  const dir = check(input.certificateDir.replace(/\/$/, ''), SAFE_PATH, 'certificate directory');
  const log = check(input.logPath ?? '/var/log/nginx/coldroot-canary.log', SAFE_PATH, 'log path');
  const e = onGrid(input.exposurePercent);
  const split = e <= 0 ? '    *       old;' : e >= 100 ? '    *       new;' : `    ${`${percentText(e)}%`.padEnd(8)}new;\n    *       old;`;
  const http = `${header(input, 'nginx')}split_clients "\${remote_addr}${id}" $coldroot_canary_cert {\n${split}\n}\n` +
    `log_format coldroot_canary 'coldroot-canary $msec $remote_addr $coldroot_canary_cert $connection_requests $ssl_protocol $ssl_cipher';\n`;
  const server = `${header(input, 'nginx')}ssl_certificate     ${dir}/$coldroot_canary_cert.crt;\nssl_certificate_key ${dir}/$coldroot_canary_cert.key;\n` +
    `access_log ${log} coldroot_canary;\n# Failed handshakes are logged at level info: keep the server's error_log at info for the agent to read them.\n`;
  return { http, server };
}

/** HAProxy's xxh32 seed for a rollout: each rollout splits a different subset of clients. */
export function haproxySeed(rolloutId: string): number {
  return createHash('sha256').update(rolloutId).digest().readUInt32BE(0) & 0x7fffffff;
}

/**
 * HAProxy: a TCP frontend splits clients by a hash of their address to one of two TLS frontends
 * (one per certificate) over abstract sockets with the PROXY protocol, so the TLS frontends still
 * see the real client address and their names tell the log reader which certificate served each
 * handshake. Do not set `option dontlognull` on the two TLS frontends: it hides failed handshakes.
 */
export function haproxySnippet(input: SnippetInput): string {
  const id = check(input.rolloutId, SAFE_NAME, 'rollout id');
  const dir = check(input.certificateDir.replace(/\/$/, ''), SAFE_PATH, 'certificate directory');
  const bind = check(input.bind ?? ':443', SAFE_BIND, 'bind address');
  const backend = check(input.backend ?? 'app', SAFE_NAME, 'backend');
  const threshold = Math.round(onGrid(input.exposurePercent) * 100);
  const seed = haproxySeed(id);
  const mode = input.mode ?? 'tcp';
  const tlsFrontend = (arm: 'old' | 'new') => `frontend coldroot_canary_${arm}
    mode ${mode}
    bind abns@coldroot-canary-${arm} accept-proxy ssl crt ${dir}/${arm}.pem
    log global
    log-format "coldroot-canary %Ts %ci %f %Th %[ssl_fc_protocol] %[ssl_fc_cipher]"
    default_backend ${backend}
`;
  return `${header(input, 'HAProxy')}frontend coldroot_canary_split
    mode tcp
    bind ${bind}
    # hash of the client address in [0, 10000): below ${threshold} → new certificate (${percentText(input.exposurePercent)}%)
    acl coldroot_canary_new src,xxh32(${seed}),mod(10000) lt ${threshold}
    use_backend coldroot_canary_to_new if coldroot_canary_new
    default_backend coldroot_canary_to_old

backend coldroot_canary_to_old
    mode tcp
    server old abns@coldroot-canary-old send-proxy-v2

backend coldroot_canary_to_new
    mode tcp
    server new abns@coldroot-canary-new send-proxy-v2

${tlsFrontend('old')}
${tlsFrontend('new')}`;
}
