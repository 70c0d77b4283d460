import type net from 'node:net';
import type tls from 'node:tls';
import { causeFromTlsError } from '../../../core/policy/canary/handshake-observation.js';
import type { Arm } from '../../../core/policy/canary/handshake-observation.js';
import type { CanaryRuntime } from './canary-runtime.js';
import { HandshakeOutcome, type SuccessOn } from './handshake-outcome.js';

/**
 * The canary inside a Node TLS service that terminates TLS itself (tls.createServer,
 * https.createServer): the service keeps its server, passes these options, and calls
 * attachCanary(server, runtime). Node calls SNICallback with the TLS socket as `this`, which gives
 * the client address. Caveat: Node calls it only when the client sends SNI; a client that sends
 * none (connecting by IP address) gets the server's default certificate, the old one, and is
 * counted as old. The standalone front (serveTls) picks before the handshake and has no such gap.
 */

type SniCallback = NonNullable<tls.TlsOptions['SNICallback']>;

const armBySocket = new WeakMap<object, Arm>();

/** The SNICallback: the client's arm's secure context, sticky by client address. */
export function canarySniCallback(runtime: CanaryRuntime): SniCallback {
  return function (this: unknown, _servername: string, cb: (err: Error | null, ctx?: tls.SecureContext) => void): void {
    const socket = this as tls.TLSSocket | undefined;
    let arm: Arm = 'old';
    try {
      arm = runtime.armFor(socket?.remoteAddress);
    } catch (e) {
      runtime.failSafe(`client split failed: ${(e as Error).message}`);
    }
    if (socket) armBySocket.set(socket, arm);
    cb(null, runtime.contextFor(arm));
  } as SniCallback;
}

/** Server options for tls.createServer: the old certificate as the default, and the canary's SNICallback. */
export function canaryServerOptions(runtime: CanaryRuntime, old: { cert: string | Buffer; key: string | Buffer }): Pick<tls.TlsOptions, 'cert' | 'key' | 'SNICallback'> {
  return { cert: old.cert, key: old.key, SNICallback: canarySniCallback(runtime) };
}

/**
 * Records every handshake of `server` into the runtime (outcome, time from TCP accept, protocol,
 * cipher, alert). Returns a function that detaches the listeners.
 */
export function attachCanary(server: tls.Server, runtime: CanaryRuntime, opts: { successOn?: SuccessOn } = {}): () => void {
  const successOn = opts.successOn ?? 'client-data';
  const started = new Map<string, number>();
  const key = (s: { remoteAddress?: string; remotePort?: number }) => `${s.remoteAddress}|${s.remotePort}`;
  const outcomeFor = (s: tls.TLSSocket) => {
    const k = key(s);
    const t0 = started.get(k) ?? performance.now();
    started.delete(k);
    return new HandshakeOutcome(armBySocket.get(s) ?? 'old', t0, successOn, () => runtime.clock(), (o) => runtime.record(o));
  };
  const onConnection = (raw: net.Socket) => {
    const k = key(raw);
    started.set(k, performance.now());
    raw.once('close', () => started.delete(k));
  };
  const onSecure = (s: tls.TLSSocket) => {
    const outcome = outcomeFor(s);
    outcome.secure(s);
    // A 'data' listener would switch the service's stream to flowing mode and could lose bytes it
    // reads later; watching emit sees the first chunk however the service consumes it.
    const emit = s.emit;
    s.emit = function (this: tls.TLSSocket, event: string | symbol, ...args: unknown[]): boolean {
      if (event === 'data') {
        s.emit = emit;
        outcome.data();
      }
      return (emit as (event: string | symbol, ...a: unknown[]) => boolean).call(this, event, ...args);
    } as typeof s.emit;
    s.once('close', () => outcome.closed());
  };
  const onClientError = (err: Error, s: tls.TLSSocket) => {
    outcomeFor(s).fail(causeFromTlsError(err));
  };
  server.on('connection', onConnection);
  server.on('secureConnection', onSecure);
  server.on('tlsClientError', onClientError);
  return () => {
    server.off('connection', onConnection);
    server.off('secureConnection', onSecure);
    server.off('tlsClientError', onClientError);
  };
}
