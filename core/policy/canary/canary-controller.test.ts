import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SeededRandom } from '../../models/seeded-random.js';
import { CanaryController, type CanaryDecision } from './canary-controller.js';
import { defaultCanaryPlan, type CanaryPlanInput } from './canary-plan.js';
import type { Arm, HandshakeObservation } from './handshake-observation.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');

interface Traffic {
  /** Failure cause for a handshake on `arm`, or null. */
  fail?: (arm: Arm, r: SeededRandom) => string | null;
  ms?: (arm: Arm, r: SeededRandom) => number;
  protocol?: (arm: Arm, r: SeededRandom) => string;
  perSecond?: number;
}

/** Drives a controller with an injected clock, one second at a time, for at most `seconds`. */
function drive(plan: Omit<CanaryPlanInput, 'schema' | 'id'>, traffic: Traffic, seconds: number, stopWhenDone = true) {
  let t = T0;
  const c = new CanaryController(defaultCanaryPlan('unit', plan), { now: () => t });
  const r = new SeededRandom(7);
  const decisions: CanaryDecision[] = [];
  for (let s = 0; s < seconds && !(stopWhenDone && c.state !== 'running'); s++) {
    for (let i = 0; i < (traffic.perSecond ?? 50); i++) {
      const arm: Arm = r.nextFloat() * 100 < c.exposure ? 'new' : 'old';
      const cause = traffic.fail?.(arm, r) ?? (r.nextFloat() < 0.002 ? 'error:ECONNRESET' : null);
      const o: HandshakeObservation = cause
        ? { arm, at: t, ok: false, cause }
        : { arm, at: t, ok: true, handshakeMs: traffic.ms?.(arm, r) ?? 5 + 5 * r.nextFloat(), protocol: traffic.protocol?.(arm, r) ?? 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' };
      c.record(o);
    }
    t += 1000;
    const d = c.evaluateIfDue();
    if (d) decisions.push(d);
  }
  return { c, decisions, elapsed: (t - T0) / 1000 };
}

const changes = (ds: CanaryDecision[]) => ds.filter((d) => d.from !== d.to || d.action === 'complete');

describe('canary controller', () => {
  test('all clients compatible: exposure grows to 100% and the new certificate becomes active', () => {
    const { c, decisions } = drive({}, {}, 3600);
    assert.equal(c.state, 'complete');
    assert.equal(c.exposure, 100);
    assert.equal(c.activeCertificate, 'new');
    const steps = changes(decisions);
    assert.ok(steps.every((d) => d.action === 'increase' || d.action === 'complete'), steps.map((d) => d.action).join());
    // Increases never come faster than the settle time.
    for (let i = 1; i < steps.length - 1; i++) assert.ok(steps[i].at - steps[i - 1].at >= 60_000);
    const last = steps[steps.length - 1];
    assert.equal(last.action, 'complete');
    assert.match(last.reason.message, /full exposure held 60 s with nothing worse/);
  });

  test('the adaptive default reaches 100% several times faster than fixed ±1% on the same traffic', () => {
    const adaptive = drive({}, {}, 4 * 3600);
    const fixed = drive({ step: { policy: 'fixed', stepPercent: 1 } }, {}, 4 * 3600);
    assert.equal(adaptive.c.state, 'complete');
    assert.equal(fixed.c.state, 'complete');
    assert.ok(adaptive.elapsed * 5 < fixed.elapsed, `adaptive ${adaptive.elapsed} s, fixed ${fixed.elapsed} s`);
    // Fixed: 95 one-point steps of a minute each, plus the confirmation.
    assert.ok(fixed.elapsed >= 95 * 60, `${fixed.elapsed}`);
    assert.deepEqual(changes(fixed.decisions).slice(0, 3).map((d) => [d.from, d.to]), [[5, 6], [6, 7], [7, 8]]);
  });

  test('a burst of unknown_ca alerts rolls back to 0 at the next evaluation, naming the alert', () => {
    const { c, decisions } = drive({}, { fail: (arm, r) => (arm === 'new' && r.nextFloat() < 0.3 ? 'alert:unknown_ca' : null) }, 600);
    assert.equal(c.state, 'rolled-back');
    assert.equal(c.exposure, 0);
    assert.equal(c.activeCertificate, 'old');
    const rollback = decisions.find((d) => d.action === 'rollback')!;
    assert.equal(rollback.at - T0, 10_000);
    assert.equal(rollback.reason.metric, 'hard-failure');
    assert.match(rollback.reason.message, /certificate rejections on new .*most alert:unknown_ca ×\d+/);
    assert.equal(rollback.from, 5);
    assert.equal(rollback.to, 0);
  });

  test('clients that hang up silently (no alert) on 30% of new handshakes miss the target and roll back', () => {
    const { c, decisions } = drive({}, { fail: (arm, r) => (arm === 'new' && r.nextFloat() < 0.3 ? 'error:closed_during_handshake' : null) }, 600);
    assert.equal(c.state, 'rolled-back');
    const rollback = decisions.find((d) => d.action === 'rollback')!;
    assert.equal(rollback.reason.metric, 'target');
    assert.match(rollback.reason.message, /target 95%/);
    assert.match(rollback.reason.message, /most of it error:closed_during_handshake/);
    assert.ok(rollback.at - T0 <= 60_000);
  });

  test('a 3-point success-rate drop decreases sharply, then rolls back on the kept evidence', () => {
    const { c, decisions } = drive({}, { fail: (arm, r) => (arm === 'new' && r.nextFloat() < 0.03 ? 'error:closed_during_handshake' : null) }, 3600);
    assert.equal(c.state, 'rolled-back');
    const moves = changes(decisions);
    const firstDown = moves.find((d) => d.action === 'decrease')!;
    assert.equal(firstDown.reason.metric, 'success-rate');
    assert.equal(firstDown.to, Math.floor(firstDown.from * 25) / 100);
    assert.match(firstDown.reason.message, /points lower, at least \d+\.\d+ points .*limit 1\.00 points/);
    assert.equal(moves[moves.length - 1].action, 'rollback');
    // Never more than one increase after the first decrease: the evidence is not forgotten.
    const after = moves.slice(moves.indexOf(firstDown));
    assert.ok(after.filter((d) => d.action === 'increase').length <= 1, after.map((d) => `${d.action} ${d.to}`).join(', '));
  });

  test('handshakes twice as slow on new are worse on handshake time', () => {
    const { c, decisions } = drive({}, { ms: (arm, r) => (5 + 5 * r.nextFloat()) * (arm === 'new' ? 2 : 1) }, 600);
    assert.equal(c.state, 'rolled-back');
    const down = decisions.find((d) => d.action === 'decrease' || d.action === 'rollback')!;
    assert.equal(down.reason.metric, 'handshake-time');
    assert.match(down.reason.message, /on new vs \d+\.\d\d ms on old \(geometric means; .*\): ×(?:1\.9|2\.0)\d, at least ×1\.[6-9]\d; limit ×1\.5/);
  });

  test('slower handshakes within the limit are not worse', () => {
    const { c } = drive({}, { ms: (arm, r) => (5 + 5 * r.nextFloat()) * (arm === 'new' ? 1.2 : 1) }, 3600);
    assert.equal(c.state, 'complete');
  });

  test('a downgrade to TLS 1.2 for a fifth of new handshakes is worse on protocol', () => {
    const { decisions } = drive({}, { protocol: (arm, r) => (arm === 'new' && r.nextFloat() < 0.2 ? 'TLSv1.2' : 'TLSv1.3') }, 600);
    const down = decisions.find((d) => d.action === 'decrease' || d.action === 'rollback')!;
    assert.equal(down.reason.metric, 'protocol');
    assert.match(down.reason.message, /below TLS 1\.3: \d+\.\d% on new vs 0\.0% on old/);
  });

  test('with too few handshakes it holds and says how many it has', () => {
    const { c, decisions } = drive({}, { perSecond: 4 }, 120, false);
    assert.equal(c.exposure, 5);
    assert.ok(decisions.every((d) => d.action === 'hold'));
    assert.equal(decisions[2].reason.metric, 'settling');
    assert.match(decisions[2].reason.message, /^30 of 60 s since the last change; \d+ handshakes on new since, 30 needed to judge$/);
    const last = decisions[decisions.length - 1];
    assert.equal(last.reason.metric, 'volume');
    assert.match(last.reason.message, /^\d+ handshakes on the new certificate in the last 3600 s, 30 needed$/);
    const quiet = drive({}, { perSecond: 1 }, 10, false).decisions[0];
    assert.equal(quiet.reason.metric, 'volume');
    assert.match(quiet.reason.message, /^\d handshakes on the old certificate and no earlier baseline, 30 needed$/);
  });

  test('evaluates once per interval, once after a clock jump, never before it is due', () => {
    let t = T0;
    const c = new CanaryController(defaultCanaryPlan('cadence'), { now: () => t });
    assert.equal(c.evaluateIfDue(), null);
    t += 9_999;
    assert.equal(c.evaluateIfDue(), null);
    t += 1;
    assert.notEqual(c.evaluateIfDue(), null);
    assert.equal(c.evaluateIfDue(), null);
    t += 3_600_000;
    assert.notEqual(c.evaluateIfDue(), null);
    assert.equal(c.evaluateIfDue(), null);
    assert.equal(c.nextEvaluationAt, t + 10_000);
  });

  test('at full exposure the old certificate has no traffic: the last rich baseline is kept', () => {
    const { c, decisions } = drive({ initialExposurePercent: 90 }, {}, 3600);
    assert.equal(c.state, 'complete');
    const atFull = decisions.filter((d) => d.from === 100);
    assert.ok(atFull.length > 0);
    assert.ok(atFull.every((d) => d.observed.baseline === 'evidence' || d.observed.baseline === 'frozen'));
  });

  test('a regression at full exposure, judged against the kept baseline, brings exposure down', () => {
    let t = T0;
    const c = new CanaryController(defaultCanaryPlan('full', { initialExposurePercent: 50, confirmSeconds: 3600 }), { now: () => t });
    const r = new SeededRandom(3);
    let broken = false;
    let downAt: CanaryDecision | undefined;
    for (let s = 0; s < 4 * 3600 && !downAt; s++) {
      for (let i = 0; i < 50; i++) {
        const arm: Arm = r.nextFloat() * 100 < c.exposure ? 'new' : 'old';
        const fail = arm === 'new' && broken && r.nextFloat() < 0.5;
        c.record(fail ? { arm, at: t, ok: false, cause: 'error:ECONNRESET' } : { arm, at: t, ok: true, handshakeMs: 5 });
      }
      t += 1000;
      const d = c.evaluateIfDue();
      if (d && broken && d.action !== 'hold') downAt = d;
      if (d && c.exposure === 100) broken = true;
    }
    assert.ok(downAt, 'no decision after the regression');
    assert.equal(downAt.from, 100);
    assert.ok(['rollback', 'decrease'].includes(downAt.action));
    assert.notEqual(downAt.observed.baseline, 'recent');
  });

  test('abort (an executor failure) rolls back for good and says why', () => {
    let t = T0;
    const c = new CanaryController(defaultCanaryPlan('abort'), { now: () => t });
    t += 5_000;
    const d = c.abort('new key does not load');
    assert.deepEqual([d.action, d.from, d.to, d.state, d.reason.metric, d.reason.message], ['rollback', 5, 0, 'rolled-back', 'executor', 'new key does not load']);
    t += 60_000;
    assert.equal(c.evaluateIfDue(), null);
    assert.equal(c.exposure, 0);
  });

  test('exposureAt replays the exposure history for log lines read later', () => {
    const { c } = drive({}, {}, 3600);
    const ch = c.changes;
    assert.ok(ch.length >= 3);
    assert.equal(c.exposureAt(T0 - 1), 0);
    assert.equal(c.exposureAt(T0), 5);
    assert.equal(c.exposureAt(ch[0].at - 1), 5);
    assert.equal(c.exposureAt(ch[0].at), ch[0].to);
    assert.equal(c.exposureAt(ch[1].at + 1), ch[1].to);
  });

  test('rejects a malformed observation with what was wrong', () => {
    const c = new CanaryController(defaultCanaryPlan('bad'), { now: () => T0 });
    assert.throws(() => c.record({ arm: 'newer' as Arm, at: T0, ok: true }), /arm must be 'old' or 'new', got newer/);
    assert.throws(() => c.record({ arm: 'old', at: Number.NaN, ok: true }), /time must be a number of ms, got NaN/);
  });

  test('progress reports state, exposure and the change log for the console', () => {
    const { c } = drive({}, {}, 3600);
    const p = c.progress();
    assert.equal(p.planId, 'unit');
    assert.equal(p.state, 'complete');
    assert.equal(p.activeCertificate, 'new');
    assert.match(p.policy, /^adaptive ×2/);
    assert.equal(p.changes[p.changes.length - 1].to, 100);
    assert.equal(p.lastDecision?.action, 'complete');
  });
});
