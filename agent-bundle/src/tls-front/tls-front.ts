import net from 'node:net';
import tls from 'node:tls';
import { ColdrootError } from '../../../core/errors.js';
import { causeFromTlsError, HANDSHAKE_TIMEOUT, type Arm } from '../../../core/policy/canary/handshake-observation.js';
import type { CanaryRuntime } from './canary-runtime.js';
import { normalizeClientAddress } from './client-split.js';
import { HandshakeOutcome, type SuccessOn } from './handshake-outcome.js';

/**
 * `serve-tls --listen ADDR --upstream ADDR`: a TLS-terminating front. It accepts TCP, picks the
 * old or new certificate for the client address *before* the handshake (so clients without SNI are
 * split too), terminates TLS, and pipes plaintext to the upstream TCP service. Each context keeps
 * its own session-ticket keys, so a client moved to the new certificate cannot resume an old-
 * certificate session and skip seeing the new one. Exposure changes only affect new connections;
 * established ones are never touched.
 */

export interface HostPort {
  host: string;
  port: number;
}

export interface TlsFrontOptions {
  listen: HostPort;
  upstream: HostPort;
  runtime: CanaryRuntime;
  /** 'timer' (default) evaluates on a real timer; 'manual' leaves it to the caller (tests drive an injected clock). */
  cadence?: 'timer' | 'manual';
  successOn?: SuccessOn;
  /** A handshake that takes longer fails with error:handshake_timeout (default 10 s). */
  handshakeTimeoutMs?: number;
}

export interface TlsFrontStats {
  accepted: number;
  /** Connections whose plaintext reached the upstream. */
  proxied: number;
  upstreamErrors: number;
  open: number;
}

export interface TlsFront {
  readonly address: HostPort;
  readonly runtime: CanaryRuntime;
  readonly stats: Readonly<TlsFrontStats>;
  /** Evaluates now if due (manual cadence). */
  tick(): ReturnType<CanaryRuntime['tick']>;
  /** Stops accepting, ends open connections gracefully, and resolves when all are closed. */
  close(): Promise<void>;
}

/** "127.0.0.1:8443", "[::1]:8443", "localhost:8443" or a bare port (loopback). */
export function parseHostPort(text: string, option = 'address'): HostPort {
  const t = text.trim();
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d{1,5})$/.exec(t) ?? /^([A-Za-z0-9.-]+):(\d{1,5})$/.exec(t) ?? /^()(\d{1,5})$/.exec(t);
  if (!m || Number(m[2]) > 65535) {
    throw new ColdrootError('BAD_ADDRESS', `${option} '${text}' is not HOST:PORT`, 'Give e.g. 127.0.0.1:8443, [::1]:8443 or 8443');
  }
  return { host: m[1] || '127.0.0.1', port: Number(m[2]) };
}

export async function serveTls(opts: TlsFrontOptions): Promise<TlsFront> {
  const { runtime, upstream } = opts;
  const successOn = opts.successOn ?? 'client-data';
  const handshakeTimeoutMs = opts.handshakeTimeoutMs ?? 10_000;
  const stats: TlsFrontStats = { accepted: 0, proxied: 0, upstreamErrors: 0, open: 0 };
  const open = new Set<tls.TLSSocket>();
  const now = () => runtime.clock();

  const server = net.createServer({ allowHalfOpen: true, pauseOnConnect: false }, (raw) => {
    const startedAt = performance.now();
    stats.accepted++;
    stats.open++;
    const client = normalizeClientAddress(raw.remoteAddress);
    let arm: Arm = 'old';
    try {
      arm = runtime.armFor(client);
    } catch (e) {
      runtime.failSafe(`client split failed: ${(e as Error).message}`);
    }
    const outcome = new HandshakeOutcome(arm, startedAt, successOn, now, (o) => runtime.record(o));
    // allowHalfOpen comes from the raw socket: a client's end() must not cut the upstream's reply short.
    const socket = new tls.TLSSocket(raw, { isServer: true, secureContext: runtime.contextFor(arm) });
    open.add(socket);
    let up: net.Socket | null = null;
    const timer = setTimeout(() => {
      outcome.fail(HANDSHAKE_TIMEOUT);
      socket.destroy();
    }, handshakeTimeoutMs);
    timer.unref();

    socket.on('error', (err) => {
      if (!outcome.isSecure) outcome.fail(causeFromTlsError(err));
      up?.destroy();
    });
    raw.on('error', () => {
      // Reported through the TLS socket; a second listener keeps a reset from becoming an uncaught error.
    });
    socket.on('end', () => {
      // Half-open is for proxied streams; a peer that hangs up mid-handshake is simply gone.
      if (!outcome.isSecure) {
        outcome.closed();
        socket.destroy();
      }
    });
    socket.once('secure', () => {
      clearTimeout(timer);
      outcome.secure(socket);
      socket.once('data', () => outcome.data());
      up = net.connect({ host: upstream.host, port: upstream.port, allowHalfOpen: true });
      up.once('connect', () => stats.proxied++);
      up.on('error', () => {
        stats.upstreamErrors++;
        socket.destroy();
      });
      socket.pipe(up);
      up.pipe(socket);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      outcome.closed();
      open.delete(socket);
      stats.open--;
      if (up && !up.destroyed) up.end();
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => reject(new ColdrootError('LISTEN_FAILED', `Cannot listen on ${opts.listen.host}:${opts.listen.port}: ${e.code ?? e.message}`, 'Choose a free port, or run with the right to bind it', 'failure')));
    server.listen(opts.listen.port, opts.listen.host, () => resolve());
  });
  const bound = server.address() as net.AddressInfo;
  if ((opts.cadence ?? 'timer') === 'timer') runtime.start();

  return {
    address: { host: bound.address, port: bound.port },
    runtime,
    stats,
    tick: () => runtime.tick(),
    close: () => new Promise<void>((resolve) => {
      runtime.stop();
      server.close(() => resolve());
      for (const s of open) s.end();
      const deadline = setTimeout(() => {
        for (const s of open) s.destroy();
      }, 2_000);
      deadline.unref();
    }),
  };
}
