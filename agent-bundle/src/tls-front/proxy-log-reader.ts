import type { CanaryController } from '../../../core/policy/canary/canary-controller.js';
import {
  causeFromAlertNumber, causeFromOpensslReason, CLOSED_AFTER_HANDSHAKE, CLOSED_DURING_HANDSHAKE,
  type Arm, type HandshakeObservation,
} from '../../../core/policy/canary/handshake-observation.js';
import { canaryArm } from './client-split.js';

/**
 * Turns the logs of an nginx or HAProxy configured with proxy-snippets.ts back into handshake
 * observations for the controller, so hosts that terminate TLS there still get an adaptive
 * rollout. The agent tails the files (its log collection, issue 5) and passes new lines here.
 *
 * nginx: the canary access log names the arm; handshake failures are in the error log (level
 * info) with only the client address, so their arm is recomputed with the same split nginx used,
 * at the exposure in force when the line was read. HAProxy: each arm has its own TLS frontend, and
 * the frontend's name is in every line, failures included.
 * Formats checked against nginx 1.22.1 and HAProxy 2.6.12 (Debian 12).
 */

export interface LogReadContext {
  /** When the lines were read, on the controller's clock: the time of lines that carry none. */
  receivedAt: number;
  /** The arm a client was on at time t (nginx error lines). */
  armOf?: (client: string, at: number) => Arm;
}

/** armOf for nginx error lines, from the controller's exposure history and the plan's split. */
export function armFromHistory(controller: CanaryController): (client: string, at: number) => Arm {
  return (client, at) => canaryArm(client, controller.exposureAt(at), controller.plan.id);
}

// coldroot-canary $msec $remote_addr $coldroot_canary_cert $connection_requests $ssl_protocol $ssl_cipher
const NGINX_ACCESS = /^coldroot-canary (\d+(?:\.\d+)?) (\S+) (old|new) (\d+) (\S+) (\S+)\s*$/;
// ... [info] 123#123: *1 <message>, client: 1.2.3.4, server: ...
const NGINX_ERROR = /\[info\] \d+#\d+: \*\d+ (.+?), client: ([0-9A-Fa-f:.]+), server: /;
// coldroot-canary %Ts %ci %f %Th %[ssl_fc_protocol] %[ssl_fc_cipher]
const HAPROXY_OK = /coldroot-canary (\d+) (\S+) coldroot_canary_(old|new) (-?\d+) (\S+) (\S+)\s*$/;
// 192.0.2.1:33283 [28/Feb/2025:02:07:51.623] coldroot_canary_new/1: SSL handshake failure (reason)
const HAPROXY_FAIL = /(\S+):\d+ \[[^\]]+\] coldroot_canary_(old|new)\/\S+: SSL handshake failure(?: \((.*)\))?\s*$/;

/** One line of the nginx canary access log or error log; null for lines that are not about a handshake. */
export function parseNginxLine(line: string, ctx: LogReadContext): HandshakeObservation | null {
  const ok = NGINX_ACCESS.exec(line);
  if (ok) {
    // Later requests on a kept-alive connection did not shake hands again.
    if (ok[4] !== '1') return null;
    return { arm: ok[3] as Arm, at: Math.round(Number(ok[1]) * 1000), ok: true, protocol: ok[5] === '-' ? undefined : ok[5], cipher: ok[6] === '-' ? undefined : ok[6] };
  }
  const err = NGINX_ERROR.exec(line);
  if (!err || !ctx.armOf) return null;
  const [, message, client] = err;
  let cause: string;
  const handshake = /^SSL_do_handshake\(\) failed \(SSL: (.*)\) while SSL handshaking$/.exec(message);
  if (handshake) {
    const alert = /SSL alert number (\d+)/.exec(handshake[1]);
    // "error:0A000418:SSL routines::tlsv1 alert unknown ca:SSL alert number 48" or "...::no shared cipher"
    const reason = /^error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(handshake[1]);
    cause = alert ? causeFromAlertNumber(Number(alert[1])) : causeFromOpensslReason(reason ? reason[1] : handshake[1]);
  } else if (/^peer closed connection in SSL handshake/.test(message)) {
    cause = CLOSED_DURING_HANDSHAKE;
  } else if (/^client closed connection while waiting for request/.test(message)) {
    // Also a client that trusted the certificate and had nothing to ask; both arms see those alike.
    cause = CLOSED_AFTER_HANDSHAKE;
  } else {
    return null;
  }
  return { arm: ctx.armOf(client, ctx.receivedAt), at: ctx.receivedAt, ok: false, cause };
}

/** One line of the HAProxy log (the canary log-format, or a connection-error line of a canary TLS frontend). */
export function parseHaproxyLine(line: string, ctx: LogReadContext): HandshakeObservation | null {
  const ok = HAPROXY_OK.exec(line);
  if (ok) {
    const ms = Number(ok[4]);
    return {
      arm: ok[3] as Arm, at: Number(ok[1]) * 1000, ok: true, ...(ms >= 0 ? { handshakeMs: ms } : {}),
      protocol: ok[5] === '-' ? undefined : ok[5], cipher: ok[6] === '-' ? undefined : ok[6],
    };
  }
  const fail = HAPROXY_FAIL.exec(line);
  if (!fail) return null;
  const reason = fail[3];
  const alert = reason && /SSL alert number (\d+)/.exec(reason);
  const tail = reason && /^error:[0-9A-Fa-f]+:[^:]*:[^:]*:([^:]+)/.exec(reason);
  const cause = alert ? causeFromAlertNumber(Number(alert[1])) : reason ? causeFromOpensslReason(tail ? tail[1] : reason) : 'error:ssl_handshake_failure';
  return { arm: fail[2] as Arm, at: ctx.receivedAt, ok: false, cause };
}

/** Every handshake observation in a batch of lines. */
export function readProxyLog(kind: 'nginx' | 'haproxy', lines: Iterable<string>, ctx: LogReadContext): HandshakeObservation[] {
  const parse = kind === 'nginx' ? parseNginxLine : parseHaproxyLine;
  const out: HandshakeObservation[] = [];
  for (const line of lines) {
    const o = parse(line, ctx);
    if (o) out.push(o);
  }
  return out;
}
