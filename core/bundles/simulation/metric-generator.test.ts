import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MetricSampleSchema } from '../payloads/metrics-schema.js';
import { derivedKey, derivedUuid } from './fleet-simulator.js';
import { generateSamples, makeHosts, rebalance, type MetricScenario } from './metric-generator.js';

const START = new Date('2026-01-05T00:00:00Z'); // a Monday
const DAY = 288;

describe('metric generator', () => {
  test('the same seed gives the same hosts and samples; another seed does not', () => {
    const a = makeHosts(5, 11);
    assert.deepEqual(a, makeHosts(5, 11));
    assert.notDeepEqual(a.map((h) => h.peakHandshakes), makeHosts(5, 12).map((h) => h.peakHandshakes));
    const one = [...generateSamples(a[2], { start: START, steps: 50, intervalS: 300, seed: 11 })];
    assert.deepEqual(one, [...generateSamples(makeHosts(5, 11)[2], { start: START, steps: 50, intervalS: 300, seed: 11 })]);
    assert.notDeepEqual(one, [...generateSamples(a[2], { start: START, steps: 50, intervalS: 300, seed: 12 })]);
  });

  test('a day generated on its own equals that day inside a longer run', () => {
    const h = makeHosts(3, 5)[1];
    const week = [...generateSamples(h, { start: START, steps: 7 * DAY, intervalS: 300, seed: 5 })];
    const thursday = [...generateSamples(h, { start: START, firstStep: 3 * DAY, steps: DAY, intervalS: 300, seed: 5 })];
    assert.deepEqual(thursday, week.slice(3 * DAY, 4 * DAY));
    assert.equal(thursday[0].t, '2026-01-08T00:00:00Z');
  });

  test('every sample is valid coldroot.metrics.v1', () => {
    for (const h of makeHosts(6, 3)) {
      for (const s of generateSamples(h, { start: START, steps: DAY, intervalS: 300, seed: 3 })) {
        const r = MetricSampleSchema.safeParse(s);
        assert.ok(r.success, `${h.host} ${s.t}: ${!r.success && r.error.issues[0].message}`);
      }
    }
  });

  test('traffic follows the day (afternoon peak, night trough) and the week (weekends lighter)', () => {
    const h = { ...makeHosts(1, 8)[0], utcOffsetHours: 0, role: 'web' as const };
    const fortnight = [...generateSamples(h, { start: START, steps: 14 * DAY, intervalS: 300, seed: 8 })];
    const at = (hour: number, days: number[]) => days.reduce((sum, d) => sum + fortnight[d * DAY + hour * 12].hs_attempted, 0) / days.length;
    const weekdays = [0, 1, 2, 3, 4, 7, 8, 9, 10, 11];
    assert.ok(at(14, weekdays) > 3 * at(3, weekdays), `peak ${at(14, weekdays)} vs night ${at(3, weekdays)}`);
    assert.ok(at(14, weekdays) > 1.2 * at(14, [5, 6, 12, 13]), 'weekday afternoons are busier than weekend ones');
    assert.ok(fortnight[14 * 12].cpu_pct > fortnight[3 * 12].cpu_pct, 'CPU follows the load');
  });

  test('scenarios see each sample with its context and shape it; rebalance keeps it valid', () => {
    const h = makeHosts(2, 4)[0];
    const seen: number[] = [];
    const outage: MetricScenario = {
      name: 'handshake-failure-burst',
      apply(s, ctx) {
        seen.push(ctx.step);
        if (ctx.step >= 10 && ctx.step < 20) {
          s.hs_failed = Math.round(s.hs_attempted * 0.5);
          s.hs_succeeded = s.hs_attempted - s.hs_failed;
          s.hs_failed_by = { 'alert:unknown_ca': 1 };
          rebalance(s, ctx.rng);
        }
      },
    };
    const samples = [...generateSamples(h, { start: START, steps: 30, intervalS: 300, seed: 4, scenarios: [outage] })];
    assert.deepEqual(seen, Array.from({ length: 30 }, (_, i) => i));
    assert.ok(samples.slice(10, 20).every((s) => s.hs_failed_by['alert:unknown_ca'] === s.hs_failed && s.hs_failed > 0));
    for (const s of samples) assert.ok(MetricSampleSchema.safeParse(s).success, s.t);
  });

  test('derived keys and bundle ids repeat with the seed', () => {
    const k = (seed: number) => derivedKey(seed, 'device/x').export({ format: 'jwk' }).d;
    assert.equal(k(1), k(1));
    assert.notEqual(k(1), k(2));
    assert.match(derivedUuid('a'), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(derivedUuid('a'), derivedUuid('a'));
  });
});
