import { once } from 'node:events';
import { createServer, type Server } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { validatePath } from '../../../../core/x509/path/index.js';
import { sha256Hex, tlsProbe } from './tls-probe.js';

export interface OperationalProofInput {
  certificatePem: string;
  chainPem: string;
  keyPem: string;
  certificateDer: Uint8Array;
  trustAnchors: Uint8Array[];
  now: Date;
  timeoutMs?: number;
}

export type OperationalProof = { ok: true; protocol: string | null; cipher: string; handshakeMs: number } | { ok: false; code: string; message: string };

/**
 * Proves the new certificate and key work before anything switches to them: a TLS server on
 * 127.0.0.1 (port 0) serving them, and a client that completes a handshake, sees exactly the new
 * certificate, and can validate what was presented against the trust anchors at `now`.
 */
export async function proveOperational(m: OperationalProofInput): Promise<OperationalProof> {
  const timeoutMs = m.timeoutMs ?? 5000;
  let server: Server;
  try {
    server = createServer({ cert: `${m.certificatePem.trimEnd()}\n${m.chainPem}`, key: m.keyPem, minVersion: 'TLSv1.2' }, (s) => s.end());
  } catch (e) {
    return { ok: false, code: 'RENEWAL_TLS_PROOF_FAILED', message: `A TLS server cannot load the new certificate and key: ${(e as Error).message}` };
  }
  server.on('tlsClientError', () => undefined);
  try {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as AddressInfo).port;
    const started = performance.now();
    const r = await tlsProbe({ host: '127.0.0.1', port, timeoutMs });
    const handshakeMs = performance.now() - started;
    if (!r.ok) return { ok: false, code: 'RENEWAL_TLS_PROOF_FAILED', message: `Loopback TLS handshake with the new certificate failed: ${r.reason}` };
    if (r.fingerprintSha256 !== sha256Hex(m.certificateDer)) return { ok: false, code: 'RENEWAL_TLS_PROOF_FAILED', message: 'The loopback TLS server presented another certificate than the new one' };
    const path = validatePath({ leaf: r.presented[0], intermediates: r.presented.slice(1), trustAnchors: m.trustAnchors, at: m.now });
    if (!path.ok) return { ok: false, code: 'RENEWAL_TLS_PROOF_FAILED', message: `A client cannot validate what the new certificate presents over TLS: ${path.code}: ${path.message}` };
    return { ok: true, protocol: r.protocol, cipher: r.cipher, handshakeMs };
  } finally {
    server.close();
  }
}
