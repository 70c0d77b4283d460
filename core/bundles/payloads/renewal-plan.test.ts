import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AgentInstructionSchema, RenewalIndexSchema, RolloutPlanSchema } from './renewal.js';

const index = { chain: 'chain.pem', crls: [], issued: [], rejected: [] };

test('a rollout plan may carry a canary plan, parsed strictly with its defaults', () => {
  const plan = RolloutPlanSchema.parse({ strategy: 'all-at-once', waves: [{ name: 'all', hosts: ['web-01.example'] }], canary: { schema: 'coldroot.canary.v1', id: 'tls-2027' } });
  assert.equal(plan.canary?.initialExposurePercent, 5);
  assert.equal(plan.canary?.targetSuccessPercent, 95);
  const bad = RolloutPlanSchema.safeParse({ strategy: 'all-at-once', waves: [{ name: 'all', hosts: ['web-01.example'] }], canary: { schema: 'coldroot.canary.v1', id: 'x', speed: 'fast' } });
  assert.equal(bad.success, false);
  assert.match(JSON.stringify(bad.error?.issues), /speed/);
});

test('renewal.json instructions: investigation mode and attestation nonces, nothing else', () => {
  const ok = RenewalIndexSchema.parse({ ...index, instructions: [{ host: 'web-01.example', investigation: { until: '2026-12-08T00:00:00Z', collectIntervalSeconds: 60, logExcerpts: true, reason: 'new client networks' }, attestationNonce: 'a'.repeat(64) }] });
  assert.equal(ok.instructions?.[0].investigation?.collectIntervalSeconds, 60);
  assert.equal(AgentInstructionSchema.safeParse({ host: 'web-01.example', investigation: { until: '2026-12-08T00:00:00Z', collectIntervalSeconds: 5, logExcerpts: true, reason: 'x' } }).success, false, 'faster than every 10 s is refused');
  assert.equal(AgentInstructionSchema.safeParse({ host: 'web-01.example', attestationNonce: 'abc' }).success, false, 'a nonce is 32 bytes of hex');
  assert.equal(AgentInstructionSchema.safeParse({ host: 'web-01.example', reboot: true }).success, false, 'unknown instructions are refused');
  assert.equal(RenewalIndexSchema.parse(index).instructions, undefined);
});
