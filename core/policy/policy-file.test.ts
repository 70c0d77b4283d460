import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_POLICY, parsePolicy, policySha256 } from './policy-file.js';
import { decideActions } from './risk-policy.js';

const text = (edit: (p: Record<string, any>) => void) => {
  const p = structuredClone(DEFAULT_POLICY) as Record<string, any>;
  edit(p);
  return JSON.stringify(p);
};
const rejects = (message: string) => (e: unknown) => {
  assert.equal((e as { code: string }).code, 'POLICY_INVALID');
  assert.equal((e as Error).message, message);
  return true;
};

test('the default policy round-trips and has a stable hash', () => {
  assert.deepEqual(parsePolicy(JSON.stringify(DEFAULT_POLICY), 'p.json'), DEFAULT_POLICY);
  assert.equal(policySha256(DEFAULT_POLICY), policySha256(structuredClone(DEFAULT_POLICY)));
});

test('policy rejections name the key', () => {
  assert.throws(() => parsePolicy(text((p) => { p.alert.minRisc = 3; }), 'p.json'), rejects("Risk policy p.json: unknown key 'alert.minRisc'"));
  assert.throws(() => parsePolicy(text((p) => { p.extra = 1; }), 'p.json'), rejects("Risk policy p.json: unknown key 'extra'"));
  assert.throws(() => parsePolicy(text((p) => { p.forcedRenewal.minRisk = 101; }), 'p.json'), rejects("Risk policy p.json: 'forcedRenewal.minRisk': Too big: expected number to be <=100"));
  assert.throws(() => parsePolicy(text((p) => { delete p.autoApprove['forced-renewal']; }), 'p.json'), rejects("Risk policy p.json: 'autoApprove.forced-renewal': Invalid input: expected boolean, received undefined"));
  assert.throws(() => parsePolicy('{', 'p.json'), /is not JSON/);
});

test('thresholds map risk and degradation to actions; emergency only with a usable issuer', () => {
  const now = new Date('2026-03-01T00:00:00Z');
  const subject = { host: 'h', certSha256: 'c'.repeat(64), riskScore: 96, degradationScore: 0, predictedDegradationAt: null };
  const none = { usable: false, why: 'none' };
  assert.deepEqual(decideActions(DEFAULT_POLICY, subject, now, none).map((a) => a.action), ['alert', 'investigation', 'forced-renewal']);
  assert.deepEqual(decideActions(DEFAULT_POLICY, subject, now, { usable: true, why: "CA 'em'" }).map((a) => a.action), ['alert', 'investigation', 'forced-renewal', 'emergency-certificate']);
  assert.equal(decideActions(DEFAULT_POLICY, subject, now, none)[1].certSha256, null, 'investigation is per host');
  assert.deepEqual(decideActions(DEFAULT_POLICY, { ...subject, riskScore: 39.4 }, now, none), []);
  const p = decideActions(DEFAULT_POLICY, { ...subject, riskScore: 10, degradationScore: 72, predictedDegradationAt: '2026-03-20T00:00:00.000Z' }, now, none);
  assert.deepEqual(p.map((a) => [a.action, a.dueAt]), [['predictive-renewal', '2026-03-13T00:00:00.000Z']]);
});
