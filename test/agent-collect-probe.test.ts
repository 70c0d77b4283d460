import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { TlsOptions } from 'node:tls';
import { TlsFixture } from '../agent-bundle/src/agent/collect/testing/tls-fixture.js';
import { failureKey, probeTls } from '../agent-bundle/src/agent/collect/tls-probe.js';

let dir: string;
let tls: TlsFixture;
const path = (n: string) => join(dir, n);
const listen = (name: string, extra: TlsOptions = {}) => tls.listen(name, extra);
const closedPort = () => tls.closedPort();

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'coldroot-probe-'));
  tls = new TlsFixture(dir);
  tls.pki('good');
  tls.pki('other');
});
after(() => {
  tls.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('TLS probe (real handshakes on 127.0.0.1)', () => {
  test('a server whose chain the probe trusts: success, protocol, cipher, handshake time', async () => {
    const port = await listen('good');
    const r = await probeTls({ name: 'good', host: '127.0.0.1', port, caFile: path('good-ca.pem'), timeoutMs: 5000 });
    assert.equal(r.ok, true, JSON.stringify(r));
    if (!r.ok) return;
    assert.equal(r.protocol, 'TLSv1.3');
    assert.match(r.cipher, /^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$/);
    assert.ok(r.handshakeMs > 0 && r.handshakeMs < 5000, String(r.handshakeMs));
  });

  test('TLS 1.2 server and SNI by name: protocol and cipher as negotiated', async () => {
    const port = await listen('good', { maxVersion: 'TLSv1.2' });
    const r = await probeTls({ name: 'tls12', host: '127.0.0.1', servername: 'localhost', port, caFile: path('good-ca.pem') });
    assert.ok(r.ok, JSON.stringify(r));
    if (r.ok) {
      assert.equal(r.protocol, 'TLSv1.2');
      assert.match(r.cipher, /^TLS_ECDHE_ECDSA_WITH_/);
    }
  });

  test('a server whose chain the probe does not trust: alert:unknown_ca', async () => {
    const port = await listen('other');
    const r = await probeTls({ name: 'untrusted', host: '127.0.0.1', port, caFile: path('good-ca.pem') });
    assert.deepEqual(r.ok ? r : { failure: r.failure, code: r.code }, { failure: 'alert:unknown_ca', code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' });
  });

  test('a name the certificate does not hold: error:hostname_mismatch', async () => {
    const port = await listen('good');
    const r = await probeTls({ name: 'wrong-name', host: '127.0.0.1', servername: 'api.example.com', port, caFile: path('good-ca.pem') });
    assert.equal(r.ok ? 'ok' : r.failure, 'error:hostname_mismatch');
  });

  test('an alert the server sends (TLS 1.2 server demanding a client certificate): alert:handshake_failure', async () => {
    const port = await listen('good', { maxVersion: 'TLSv1.2', requestCert: true, rejectUnauthorized: true, ca: readFileSync(path('good-ca.pem')) });
    const r = await probeTls({ name: 'mtls', host: '127.0.0.1', port, caFile: path('good-ca.pem') });
    assert.deepEqual(r.ok ? r : [r.failure, r.code], ['alert:handshake_failure', 'ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE']);
  });

  test('nothing listening: error:connection_refused', async () => {
    const r = await probeTls({ name: 'closed', host: '127.0.0.1', port: await closedPort() });
    assert.deepEqual(r.ok ? r : [r.failure, r.code], ['error:connection_refused', 'ECONNREFUSED']);
  });

  test('a server that never answers the ClientHello: error:timeout within the bound', async () => {
    const s = createNetServer(() => undefined);
    await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
    const started = Date.now();
    const r = await probeTls({ name: 'silent', host: '127.0.0.1', port: (s.address() as AddressInfo).port, timeoutMs: 200 });
    s.close();
    assert.equal(r.ok ? 'ok' : r.failure, 'error:timeout');
    assert.ok(Date.now() - started < 2000);
  });

  test('an unreadable caFile is reported, not thrown', async () => {
    const r = await probeTls({ name: 'nofile', host: '127.0.0.1', port: 1, caFile: path('missing.pem') });
    assert.deepEqual(r.ok ? r : [r.failure, r.code], ['error:ca_file_unreadable', 'ENOENT']);
  });

  test('error codes map to the metrics failure keys', () => {
    assert.equal(failureKey('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA'), 'alert:unknown_ca');
    assert.equal(failureKey('ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED'), 'alert:certificate_expired');
    assert.equal(failureKey('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'), 'alert:certificate_required');
    assert.equal(failureKey('CERT_HAS_EXPIRED'), 'alert:certificate_expired');
    assert.equal(failureKey('DEPTH_ZERO_SELF_SIGNED_CERT'), 'alert:unknown_ca');
    assert.equal(failureKey('ECONNRESET'), 'error:connection_reset');
    assert.equal(failureKey('ERR_SSL_WRONG_VERSION_NUMBER'), 'error:wrong_version_number');
    assert.equal(failureKey(undefined), 'error:other');
  });
});
