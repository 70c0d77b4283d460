import assert from 'node:assert/strict';
import { test } from 'node:test';
import { defaultCanaryPlan } from './canary-plan.js';
import { DEFAULT_SIMULATION, simulateRollout, type Population, type Strategy } from './rollout-simulation.js';

const options = { ...DEFAULT_SIMULATION, durationSeconds: 2 * 3600, ratePerSecond: 10 };
const base: Population = { name: 'ok', clients: 2000, incompatibleShare: 0, incompatibleCause: 'alert:unknown_ca', slowShare: 0, slowFactor: 1, newSlowdown: 1 };
const adaptive: Strategy = { name: 'adaptive', kind: 'controller', plan: defaultCanaryPlan('sim') };
const schedule: Strategy = { name: 'hourly', kind: 'schedule', steps: [{ atSeconds: 0, exposurePercent: 5 }, { atSeconds: 3600, exposurePercent: 100 }] };

test('the same seed gives the same result; another seed another', () => {
  const a = simulateRollout({ ...base, incompatibleShare: 0.1 }, schedule, options);
  assert.deepEqual(simulateRollout({ ...base, incompatibleShare: 0.1 }, schedule, options), a);
  assert.notDeepEqual(simulateRollout({ ...base, incompatibleShare: 0.1 }, schedule, { ...options, seed: 1 }), a);
});

test('a schedule ignores failures; the controller stops them within minutes', () => {
  const pop = { ...base, incompatibleShare: 0.3 };
  const s = simulateRollout(pop, schedule, options);
  const c = simulateRollout(pop, adaptive, options);
  assert.equal(Math.round(s.secondsTo100!), 3600);
  assert.equal(s.secondsToRollback, null);
  // About 30% of the second hour's handshakes, plus 30% of 5% in the first.
  assert.ok(s.failuresCaused > 0.25 * 36_000 && s.failuresCaused < 0.35 * 38_000, `${s.failuresCaused}`);
  assert.equal(c.finalState, 'rolled-back');
  assert.ok(c.secondsToRollback! <= 60, `${c.secondsToRollback}`);
  assert.ok(c.failuresCaused < 50, `${c.failuresCaused}`);
  assert.equal(c.finalExposure, 0);
});

test('with compatible clients the controller completes and causes nothing', () => {
  const r = simulateRollout(base, adaptive, options);
  assert.equal(r.finalState, 'complete');
  assert.ok(r.secondsTo100! < 1800, `${r.secondsTo100}`);
  assert.equal(r.failuresCaused, 0);
  assert.equal(r.handshakes > 60_000 && r.handshakes < 84_000, true);
});
