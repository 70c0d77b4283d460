import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ColdrootError } from '../../errors.js';
import { CANARY_PLAN_SCHEMA_V1, defaultCanaryPlan, parseCanaryPlan } from './canary-plan.js';

const minimal = { schema: CANARY_PLAN_SCHEMA_V1, id: 'web-2026' };

function rejection(input: unknown): string {
  try {
    parseCanaryPlan(input, 'rollout.json');
  } catch (e) {
    assert.ok(e instanceof ColdrootError);
    assert.equal(e.code, 'CANARY_PLAN_INVALID');
    assert.match(e.hint, /coldroot\.canary\.v1/);
    return e.message;
  }
  assert.fail('accepted');
}

test('a minimal plan gets every default', () => {
  const p = parseCanaryPlan(minimal);
  assert.equal(p.initialExposurePercent, 5);
  assert.equal(p.targetSuccessPercent, 95);
  assert.deepEqual(p.analysis, { windowSeconds: 60, evaluateEverySeconds: 10, settleSeconds: 60, evidenceSeconds: 3600, minHandshakes: 30, confidencePercent: 99 });
  assert.deepEqual(p.step, { policy: 'adaptive', growthFactor: 2, maxStepPercent: 25, failureBudgetPercent: 0.5, decreaseFactor: 0.25 });
  assert.ok(p.thresholds.hardFailure.causes.includes('alert:unknown_ca'));
  assert.deepEqual(defaultCanaryPlan('web-2026'), p);
});

test('the fixed policy and partial sections fill in their own defaults', () => {
  const p = parseCanaryPlan({ ...minimal, step: { policy: 'fixed' }, analysis: { windowSeconds: 120 }, thresholds: { handshakeTime: { maxRatio: 2 } } });
  assert.deepEqual(p.step, { policy: 'fixed', stepPercent: 1 });
  assert.equal(p.analysis.windowSeconds, 120);
  assert.equal(p.analysis.evaluateEverySeconds, 10);
  assert.equal(p.thresholds.handshakeTime.maxRatio, 2);
  assert.equal(p.thresholds.successRate.maxDropPercent, 1);
});

test('accepts the JSON text as it comes out of a bundle', () => {
  assert.equal(parseCanaryPlan(JSON.stringify({ ...minimal, initialExposurePercent: 1 })).initialExposurePercent, 1);
});

test('rejections name the field and the problem', () => {
  assert.equal(rejection({ ...minimal, extra: true }), 'rollout.json: (top level): Unrecognized key: "extra"');
  assert.equal(rejection({ ...minimal, step: { policy: 'adaptive', growth: 3 } }), 'rollout.json: step: Unrecognized key: "growth"');
  assert.equal(rejection({ ...minimal, schema: 'coldroot.canary.v2' }), 'rollout.json: schema: Invalid input: expected "coldroot.canary.v1"');
  assert.equal(rejection({ ...minimal, id: '../etc' }), 'rollout.json: id: Invalid string: must match pattern /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/');
  assert.equal(rejection({ ...minimal, initialExposurePercent: 101 }), 'rollout.json: initialExposurePercent: Too big: expected number to be <=100');
  assert.equal(rejection({ ...minimal, minExposurePercent: 10 }), 'rollout.json: minExposurePercent: must not exceed initialExposurePercent (5)');
  assert.equal(rejection({ ...minimal, analysis: { windowSeconds: 5 } }), 'rollout.json: analysis.evaluateEverySeconds: must not exceed windowSeconds (5)');
  assert.equal(rejection({ ...minimal, analysis: { windowSeconds: 600, evidenceSeconds: 300 } }), 'rollout.json: analysis.evidenceSeconds: must be at least windowSeconds (600)');
  assert.equal(rejection({ ...minimal, step: { policy: 'adaptive', decreaseFactor: 1 } }), 'rollout.json: step.decreaseFactor: Too big: expected number to be <1');
  assert.equal(rejection({ ...minimal, thresholds: { hardFailure: { causes: ['unknown_ca'] } } }), 'rollout.json: thresholds.hardFailure.causes.0: Invalid string: must match pattern /^(?:alert|error):[A-Za-z0-9_.:/+-]{1,58}$/');
  assert.match(rejection('{"schema":'), /^rollout\.json is not JSON: /);
});
