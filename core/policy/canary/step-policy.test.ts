import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCanaryPlan } from './canary-plan.js';
import { adaptiveStepPolicy, fixedStepPolicy, onGrid, stepPolicyFor } from './step-policy.js';

const adaptive = adaptiveStepPolicy({ growthFactor: 2, maxStepPercent: 25, failureBudgetPercent: 0.5, decreaseFactor: 0.25, minExposurePercent: 0.5 });

test('exposures sit on the hundredth-of-a-percent grid', () => {
  assert.equal(onGrid(12.3456), 12.34);
  assert.equal(onGrid(0.1 + 0.2), 0.3);
  assert.equal(onGrid(150), 100);
  assert.equal(onGrid(-1), 0);
});

test('fixed: one step up, one step down, and 0 at the bottom', () => {
  const p = fixedStepPolicy(1);
  assert.deepEqual(p.increase({ exposure: 5, excessFailureUpper: 0.5 }), { to: 6, limitedBy: 'step', note: 'fixed step of 1 points' });
  assert.equal(p.increase({ exposure: 99.5, excessFailureUpper: 0 }).to, 100);
  assert.equal(p.decrease({ exposure: 5, excessFailureUpper: 0 }).to, 4);
  assert.deepEqual(p.decrease({ exposure: 1, excessFailureUpper: 0 }), { to: 0, limitedBy: 'floor', note: 'a 1-point step down reaches 0' });
});

test('adaptive: doubles when the evidence is clean', () => {
  assert.deepEqual(adaptive.increase({ exposure: 5, excessFailureUpper: 0 }), { to: 10, limitedBy: 'growth', note: 'growth ×2' });
  assert.equal(adaptive.increase({ exposure: 40, excessFailureUpper: 0 }).limitedBy, 'max-step');
  assert.equal(adaptive.increase({ exposure: 40, excessFailureUpper: 0 }).to, 65);
  assert.equal(adaptive.increase({ exposure: 90, excessFailureUpper: 0 }).to, 100);
});

test('adaptive: the failure budget caps the step at budget / upper bound', () => {
  // Up to 2 points more failures on new: 0.5% of all handshakes allows 25% exposure.
  const r = adaptive.increase({ exposure: 20, excessFailureUpper: 0.02 });
  assert.equal(r.to, 25);
  assert.equal(r.limitedBy, 'budget');
  assert.match(r.note, /failure budget 0\.5% of all handshakes with new failing up to 2\.00 points more often than old/);
  // A bound that allows less than the current exposure never lowers it: the controller holds.
  assert.equal(adaptive.increase({ exposure: 20, excessFailureUpper: 0.1 }).to, 20);
});

test('adaptive: decreases sharply and rolls back under the floor', () => {
  assert.equal(adaptive.decrease({ exposure: 40, excessFailureUpper: 0 }).to, 10);
  assert.deepEqual(adaptive.decrease({ exposure: 1.9, excessFailureUpper: 0 }), { to: 0, limitedBy: 'floor', note: '×0.25 would fall below the 0.5% floor' });
});

test('the plan picks the policy', () => {
  assert.match(stepPolicyFor(defaultCanaryPlan('x')).name, /^adaptive/);
  assert.equal(stepPolicyFor(defaultCanaryPlan('x', { step: { policy: 'fixed', stepPercent: 2 } })).name, 'fixed ±2%');
});
