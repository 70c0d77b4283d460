/**
 * Loopback pieces for canary tests: a tiny TCP echo upstream that counts how its connections
 * end, and real node:tls clients that each come from their own loopback address (127.0.x.y; Linux
 * routes all of 127/8 to lo), so the front's per-address split sees a population. Listeners bind
 * 127.0.0.1 only. Every client gives up after a few seconds, so no test can hang on one.
 */
import { createHash } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';

export interface EchoStats {
  accepted: number;
  /** Connections the peer ended with a FIN after at least one byte. */
  endedClean: number;
  /** Connections that ended without a byte (a client that hung up right after the handshake). */
  endedEmpty: number;
  errors: string[];
  bytes: number;
}

export interface EchoServer {
  port: number;
  stats: EchoStats;
  close(): Promise<void>;
}

/** Echoes what it gets; an HTTP GET gets a minimal response instead, so curl can be a client. */
export async function startEchoServer(): Promise<EchoServer> {
  const stats: EchoStats = { accepted: 0, endedClean: 0, endedEmpty: 0, errors: [], bytes: 0 };
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    stats.accepted++;
    sockets.add(s);
    let seen = 0;
    s.on('data', (d) => {
      if (seen === 0 && d.subarray(0, 4).toString('latin1') === 'GET ') {
        s.end('HTTP/1.1 200 OK\r\nContent-Length: 5\r\nConnection: close\r\n\r\necho\n');
      } else if (s.writable) {
        s.write(d);
      }
      seen += d.length;
      stats.bytes += d.length;
    });
    s.on('end', () => {
      if (seen) stats.endedClean++;
      else stats.endedEmpty++;
      s.end();
    });
    s.on('error', (e: NodeJS.ErrnoException) => stats.errors.push(e.code ?? e.message));
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    stats,
    close: () => new Promise<void>((r) => {
      for (const s of sockets) s.destroy();
      server.close(() => r());
    }),
  };
}

export interface ClientSpec {
  /** Source address, 127.x.y.z. */
  address: string;
  /** Trusted roots, PEM. */
  ca: string;
  maxVersion?: tls.SecureVersion;
}

export interface ClientResult {
  address: string;
  ok: boolean;
  error?: string;
  /** SHA-256 of the leaf the server presented, when the handshake got that far. */
  certificate?: string;
  echoed: boolean;
}

/** A TLS client whose TCP connection comes from `address` (tls.connect's types lack localAddress). */
export function connectFrom(port: number, address: string, options: tls.ConnectionOptions): tls.TLSSocket {
  const tcp = net.connect({ host: '127.0.0.1', port, localAddress: address });
  return tls.connect({ ...options, socket: tcp, host: '127.0.0.1' });
}

export function derFingerprint(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

/** One connection: handshake, send `message`, wait for it to come back, end. */
export function connectOnce(port: number, spec: ClientSpec, message: string, timeoutMs = 5_000): Promise<ClientResult> {
  return new Promise((resolve) => {
    const result: ClientResult = { address: spec.address, ok: false, echoed: false };
    let got = '';
    const socket = connectFrom(port, spec.address, { ca: spec.ca, maxVersion: spec.maxVersion });
    const timer = setTimeout(() => {
      result.error = 'timeout';
      socket.destroy();
    }, timeoutMs);
    socket.on('secureConnect', () => {
      result.ok = true;
      result.certificate = derFingerprint(socket.getPeerCertificate().raw);
      socket.write(message);
    });
    socket.on('data', (d) => {
      got += d.toString('utf8');
      if (got === message) {
        result.echoed = true;
        socket.end();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      result.ok = false;
      result.error ??= e.code ?? e.message;
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(result);
    });
  });
}

/** Every client connects once, `concurrency` at a time. */
export async function wave(port: number, clients: ClientSpec[], label: string, concurrency = 16): Promise<ClientResult[]> {
  const results: ClientResult[] = new Array(clients.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < clients.length; i = next++) results[i] = await connectOnce(port, clients[i], `${label}:${clients[i].address}\n`);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, clients.length) }, worker));
  return results;
}

export interface LongLived {
  address: string;
  certificate: string;
  /** Sends a line and resolves when it is echoed (rejects after a few seconds or on error). */
  ping(line: string): Promise<void>;
  errors: string[];
  end(): Promise<void>;
}

/** A connection kept open across exposure changes, to prove they never touch established ones. */
export function openLongLived(port: number, spec: ClientSpec): Promise<LongLived> {
  return new Promise((resolve, reject) => {
    const errors: string[] = [];
    const socket = connectFrom(port, spec.address, { ca: spec.ca, maxVersion: spec.maxVersion });
    let buffer = '';
    let waiting: { line: string; done: (e?: Error) => void } | null = null;
    socket.on('data', (d) => {
      buffer += d.toString('utf8');
      if (waiting && buffer.includes(waiting.line)) {
        buffer = '';
        const w = waiting;
        waiting = null;
        w.done();
      }
    });
    socket.on('error', (e: NodeJS.ErrnoException) => {
      errors.push(e.code ?? e.message);
      waiting?.done(e);
      reject(e);
    });
    socket.on('close', () => waiting?.done(new Error('closed')));
    socket.on('secureConnect', () => resolve({
      address: spec.address,
      certificate: derFingerprint(socket.getPeerCertificate().raw),
      errors,
      ping: (line) => new Promise<void>((ok, fail) => {
        const timer = setTimeout(() => fail(new Error(`no echo of ${line} within 3 s`)), 3_000);
        waiting = { line, done: (e) => (clearTimeout(timer), e ? fail(e) : ok()) };
        socket.write(line);
      }),
      end: () => new Promise<void>((r) => {
        socket.once('close', () => r());
        socket.end();
      }),
    }));
  });
}
