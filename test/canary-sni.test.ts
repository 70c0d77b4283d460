// The canary inside a Node TLS service (tls.createServer + SNICallback), real TLS on loopback.
import assert from 'node:assert/strict';
import tls from 'node:tls';
import { before, test } from 'node:test';
import { defaultCanaryPlan } from '../core/policy/canary/canary-plan.js';
import { CanaryRuntime, leafFingerprint } from '../agent-bundle/src/tls-front/canary-runtime.js';
import { canaryArm } from '../agent-bundle/src/tls-front/client-split.js';
import { attachCanary, canaryServerOptions } from '../agent-bundle/src/tls-front/sni-selection.js';
import { connectFrom, derFingerprint } from '../agent-bundle/src/tls-front/testing/loopback-harness.js';
import { makeCanaryPkis, type TestChain } from '../agent-bundle/src/tls-front/testing/canary-test-pki.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');
let old: TestChain;
let next: TestChain;

before(async () => {
  ({ old, next } = await makeCanaryPkis());
});

function connect(port: number, address: string, ca: string, servername?: string): Promise<{ ok: boolean; certificate?: string; echoed: boolean }> {
  return new Promise((resolve) => {
    const r = { ok: false, certificate: undefined as string | undefined, echoed: false };
    const s = connectFrom(port, address, { ca, servername, checkServerIdentity: () => undefined });
    const timer = setTimeout(() => s.destroy(), 5_000);
    s.on('secureConnect', () => {
      r.ok = true;
      r.certificate = derFingerprint(s.getPeerCertificate().raw);
      s.write('hello\n');
    });
    s.on('data', (d) => {
      if (d.toString() === 'hello\n') {
        r.echoed = true;
        s.end();
      }
    });
    s.on('error', () => (r.ok = false));
    s.on('close', () => {
      clearTimeout(timer);
      resolve(r);
    });
  });
}

test('SNICallback splits a Node service\'s clients by address, and every handshake is recorded on its arm', async () => {
  const runtime = new CanaryRuntime({ plan: defaultCanaryPlan('sni-rollout', { initialExposurePercent: 50 }), old: { cert: old.certPem, key: old.keyPem }, next: { cert: next.certPem, key: next.keyPem }, now: () => T0 });
  // The service reads its sockets late on purpose: the canary must not consume their first bytes.
  const server = tls.createServer(canaryServerOptions(runtime, { cert: old.certPem, key: old.keyPem }), (s) => setTimeout(() => s.pipe(s), 20));
  const detach = attachCanary(server, runtime);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  try {
    const addresses = Array.from({ length: 40 }, (_, i) => `127.0.4.${i + 1}`);
    const both = old.rootPem + next.rootPem;
    const results = await Promise.all(addresses.map((a) => connect(port, a, both, 'localhost')));
    const expected = addresses.map((a) => (canaryArm(a, 50, 'sni-rollout') === 'new' ? leafFingerprint(next.certPem) : leafFingerprint(old.certPem)));
    assert.deepEqual(results.map((r) => r.certificate), expected);
    assert.ok(results.every((r) => r.ok && r.echoed));
    const onNew = expected.filter((e) => e === leafFingerprint(next.certPem)).length;
    assert.ok(onNew > 5 && onNew < 35);

    // Clients that trust only the old root fail on new and are counted there.
    const refusing = addresses.filter((a) => canaryArm(a, 50, 'sni-rollout') === 'new').slice(0, 5);
    const refused = await Promise.all(refusing.map((a) => connect(port, a, old.rootPem, 'localhost')));
    assert.ok(refused.every((r) => !r.ok));
    // Without SNI Node never calls SNICallback: the default (old) certificate, counted as old.
    const plain = await connect(port, refusing[0], old.rootPem);
    assert.equal(plain.certificate, leafFingerprint(old.certPem));
    assert.ok(plain.echoed);

    await new Promise((r) => setTimeout(r, 50));
    const hs = runtime.status().handshakes;
    assert.deepEqual(hs, { old: { ok: 40 - onNew + 1, failed: 0 }, new: { ok: onNew, failed: 5 } });
    const failures = runtime.controller.handshakeStats('new', T0).failedBy;
    assert.deepEqual(Object.keys(failures), ['error:closed_during_handshake']);
  } finally {
    detach();
    await new Promise<void>((r) => server.close(() => r()));
  }
});
