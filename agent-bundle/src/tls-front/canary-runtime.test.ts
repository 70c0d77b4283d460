import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { ColdrootError } from '../../../core/errors.js';
import { defaultCanaryPlan } from '../../../core/policy/canary/canary-plan.js';
import type { Arm } from '../../../core/policy/canary/handshake-observation.js';
import { CanaryRuntime, leafFingerprint, type RuntimeEvent } from './canary-runtime.js';
import { canaryArm } from './client-split.js';
import { makeCanaryPkis, type TestChain } from './testing/canary-test-pki.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');
let old: TestChain;
let next: TestChain;

before(async () => {
  ({ old, next } = await makeCanaryPkis());
});

function runtime(over: { newKey?: string; newCert?: string; oldCert?: string; plan?: ReturnType<typeof defaultCanaryPlan> } = {}) {
  const events: RuntimeEvent[] = [];
  const r = new CanaryRuntime({
    plan: over.plan ?? defaultCanaryPlan('rt', { initialExposurePercent: 50 }),
    old: { cert: over.oldCert ?? old.certPem, key: old.keyPem },
    next: { cert: over.newCert ?? next.certPem, key: over.newKey ?? next.keyPem },
    now: () => T0,
    onEvent: (e) => events.push(e),
  });
  return { r, events };
}

const clients = Array.from({ length: 200 }, (_, i) => `10.0.${i >> 8}.${i & 255}`);

describe('canary runtime', () => {
  test('splits clients by the plan and serves each arm its own context', () => {
    const { r, events } = runtime();
    const arms = clients.map((c) => r.armFor(c));
    assert.deepEqual(arms, clients.map((c) => canaryArm(c, 50, 'rt')));
    assert.ok(arms.includes('new') && arms.includes('old'));
    assert.notEqual(r.contextFor('new'), r.contextFor('old'));
    assert.equal(r.newCertificate, leafFingerprint(next.certPem));
    assert.deepEqual(events.map((e) => e.event), ['canary-started']);
  });

  test('a new key that does not match the new certificate: every client on old, and the reason kept', () => {
    const { r, events } = runtime({ newKey: old.keyPem });
    assert.equal(r.exposure, 0);
    assert.ok(clients.every((c) => r.armFor(c) === 'old'));
    assert.equal(r.contextFor('new'), r.oldContext);
    assert.match(r.failure!, /^new certificate unusable: .*key values mismatch/);
    const s = r.status();
    assert.equal(s.state, 'failed-safe');
    assert.equal(s.activeCertificate, 'old');
    assert.equal(events[0].event, 'canary-failed-safe');
  });

  test('a new certificate that is not PEM fails safe too', () => {
    const { r } = runtime({ newCert: 'garbage' });
    assert.equal(r.exposure, 0);
    assert.match(r.failure!, /^new certificate unusable: /);
  });

  test('a plan written for another certificate is not applied to this one', () => {
    const plan = defaultCanaryPlan('rt', { newCertificate: 'ab'.repeat(32) });
    const { r } = runtime({ plan });
    assert.equal(r.exposure, 0);
    assert.equal(r.failure, `new certificate unusable: the plan is for certificate ${'ab'.repeat(32)}, the new certificate is ${leafFingerprint(next.certPem)}`);
  });

  test('an unusable old certificate is an error: there would be nothing to serve', () => {
    assert.throws(() => runtime({ oldCert: next.certPem }), (e: unknown) => e instanceof ColdrootError && e.code === 'TLS_FRONT_OLD_CERT_UNUSABLE' && /key values mismatch/.test(e.message));
  });

  test('a controller that throws fails safe instead of reaching the connections', () => {
    const { r, events } = runtime();
    r.controller.evaluateIfDue = () => {
      throw new Error('window corrupted');
    };
    assert.equal(r.tick(), null);
    assert.equal(r.failure, 'controller failed: window corrupted');
    assert.ok(clients.every((c) => r.armFor(c) === 'old'));
    assert.equal(r.controller.state, 'rolled-back');
    assert.deepEqual(events.map((e) => e.event), ['canary-started', 'canary-failed-safe']);
    // Records still count for the status, and nothing throws.
    r.record({ arm: 'old', at: T0, ok: true });
    assert.equal(r.status().handshakes.old.ok, 1);
  });

  test('a record the controller refuses fails safe', () => {
    const { r } = runtime();
    r.record({ arm: 'sideways' as Arm, at: T0, ok: true });
    assert.match(r.failure!, /^controller rejected a handshake record: .*arm must be 'old' or 'new'/);
  });
});
