import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { createServer, type Server, type TlsOptions } from 'node:tls';

/**
 * Test TLS endpoints on 127.0.0.1: a CA and a server certificate made with openssl (so the probe
 * is checked against certificates Coldroot did not make), servers that close after the handshake,
 * and a port nothing listens on.
 */
export class TlsFixture {
  private readonly servers: Server[] = [];
  constructor(readonly dir: string) {}

  path(name: string): string { return join(this.dir, name); }

  /** Makes `<name>-ca.pem` and `<name>-server.{key,pem}` (SAN IP:127.0.0.1, DNS:localhost). */
  pki(name: string): void {
    const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: this.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-ca.key`, '-out', `${name}-ca.pem`, '-days', '30', '-subj', `/CN=${name} probe CA`);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}-server.key`, '-out', `${name}-server.csr`, '-subj', '/CN=localhost');
    writeFileSync(this.path(`${name}-ext.cnf`), 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n');
    openssl('x509', '-req', '-in', `${name}-server.csr`, '-CA', `${name}-ca.pem`, '-CAkey', `${name}-ca.key`, '-CAcreateserial', '-days', '30', '-extfile', `${name}-ext.cnf`, '-out', `${name}-server.pem`);
  }

  async listen(name: string, extra: TlsOptions = {}): Promise<number> {
    const s = createServer({ key: readFileSync(this.path(`${name}-server.key`)), cert: readFileSync(this.path(`${name}-server.pem`)), ...extra }, (sock) => sock.end());
    s.on('tlsClientError', () => undefined);
    this.servers.push(s);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    return (s.address() as AddressInfo).port;
  }

  /** A port on which nothing listens: bound, then closed. */
  async closedPort(): Promise<number> {
    const s = createNetServer();
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((resolve) => s.close(() => resolve()));
    return port;
  }

  close(): void {
    for (const s of this.servers) s.close();
  }
}
