import { createHash } from 'node:crypto';
import { connect, type PeerCertificate, type DetailedPeerCertificate } from 'node:tls';

export type TlsProbeResult =
  | { ok: true; fingerprintSha256: string; presented: Uint8Array[]; protocol: string | null; cipher: string }
  | { ok: false; reason: string };

export interface TlsProbeTarget {
  host: string;
  port: number;
  servername?: string;
  timeoutMs: number;
}

export const sha256Hex = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

function presentedChain(leaf: DetailedPeerCertificate): Uint8Array[] {
  const out: Uint8Array[] = [];
  let c: DetailedPeerCertificate | undefined = leaf;
  while (c && c.raw && out.length < 10) {
    out.push(new Uint8Array(c.raw));
    if (!c.issuerCertificate || c.issuerCertificate === c) break;
    c = c.issuerCertificate;
  }
  return out;
}

/**
 * One TLS handshake to host:port, reporting what the server presented. Node's own chain check is
 * off on purpose: it uses the wall clock, while the agent judges validity at its (injected, skew
 * checked) `now` with validatePath; the handshake itself still proves the server holds the key
 * (TLS 1.3 CertificateVerify is checked whatever the verify mode).
 */
export function tlsProbe(t: TlsProbeTarget): Promise<TlsProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: TlsProbeResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(r);
    };
    const socket = connect({ host: t.host, port: t.port, servername: t.servername ?? (/^[\d.:]+$/.test(t.host) ? undefined : t.host), rejectUnauthorized: false, minVersion: 'TLSv1.2' }, () => {
      const peer = socket.getPeerCertificate(true) as PeerCertificate as DetailedPeerCertificate;
      if (!peer?.raw) return done({ ok: false, reason: `${t.host}:${t.port} presented no certificate` });
      const presented = presentedChain(peer);
      done({ ok: true, fingerprintSha256: sha256Hex(presented[0]), presented, protocol: socket.getProtocol(), cipher: socket.getCipher().name });
    });
    const timer = setTimeout(() => done({ ok: false, reason: `no TLS handshake with ${t.host}:${t.port} within ${t.timeoutMs} ms` }), t.timeoutMs);
    socket.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, reason: `TLS handshake with ${t.host}:${t.port} failed: ${e.code ?? ''} ${e.message}`.replace(/\s+/g, ' ') }));
  });
}
