import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hourOfWeek, SeasonalBaseline } from './seasonal-baseline.js';
import { SeededRandom } from './seeded-random.js';

const HOUR = 3_600_000;
/** Monday 2025-03-03 00:00 UTC. */
const START = Date.UTC(2025, 2, 3);

/**
 * Hourly handshake rate with a daily cycle (peak mid-afternoon) and a weekly one (weekends at
 * about half the traffic), plus N(0, 3) noise.
 */
function traffic(hours: number, seed: number, from = START): { times: number[]; values: number[] } {
  const r = new SeededRandom(seed);
  const times: number[] = [];
  const values: number[] = [];
  for (let h = 0; h < hours; h++) {
    const t = from + h * HOUR;
    const weekend = hourOfWeek(t) >= 5 * 24;
    const daily = Math.sin((2 * Math.PI * (new Date(t).getUTCHours() - 9)) / 24);
    const noise = Math.sqrt(-2 * Math.log(1 - r.nextFloat())) * Math.cos(2 * Math.PI * r.nextFloat());
    times.push(t);
    values.push((weekend ? 50 + 15 * daily : 100 + 30 * daily) + 3 * noise);
  }
  return { times, values };
}

test('hourOfWeek counts from Monday 00:00 in the host\'s local time', () => {
  assert.equal(hourOfWeek(START), 0);
  assert.equal(hourOfWeek(START + 30 * HOUR), 30);
  assert.equal(hourOfWeek(START - HOUR), 167);
  assert.equal(hourOfWeek(Date.UTC(1969, 11, 31, 23)), 3 * 24 - 1, 'before the epoch: Wednesday 23:00');
  assert.equal(hourOfWeek(START, -2), 166, 'UTC−2: still Sunday 22:00');
});

test('four weeks of history: the fifth week raises no alarm, spikes and steps alarm in their hour', () => {
  const history = traffic(24 * 28, 1);
  const baseline = SeasonalBaseline.fit(history.times, history.values);
  const next = traffic(24 * 7, 2, START + 24 * 28 * HOUR);
  const quiet = next.values.map((v, i) => baseline.score(next.times[i], v));
  assert.ok(quiet.every((r) => r.level === 'hour-of-week'));
  assert.deepEqual(quiet.flatMap((r, i) => (r.alarm ? [i] : [])), []);
  const maxZ = Math.max(...quiet.map((r) => Math.abs(r.z)));
  assert.ok(maxZ < 4, `largest |z| in an ordinary week ${maxZ}`);

  // A spike of +25 (about 8σ of noise, less than half the daily swing) alarms in whichever hour
  // of the week it lands.
  const caught = next.values.filter((v, i) => baseline.score(next.times[i], v + 25).alarm).length;
  assert.ok(caught / next.values.length >= 0.95, `spikes caught ${caught} of ${next.values.length}`);
  // A drop of 25 from Thursday 14:00 onwards: the first affected hour already alarms.
  const stepAt = 3 * 24 + 14;
  const stepped = next.values.map((v, i) => (i >= stepAt ? v - 25 : v));
  const alarms = stepped.flatMap((v, i) => (baseline.score(next.times[i], v).alarm ? [i] : []));
  assert.equal(alarms[0], stepAt);
});

test('the weekly cycle is learnt: weekday traffic on a Sunday afternoon is an anomaly', () => {
  const history = traffic(24 * 28, 3);
  const baseline = SeasonalBaseline.fit(history.times, history.values);
  const sunday15 = START + (28 + 6) * 24 * HOUR + 15 * HOUR;
  const weekdayLevel = 100 + 30 * Math.sin((2 * Math.PI * 6) / 24);
  const r = baseline.score(sunday15, weekdayLevel);
  assert.equal(r.level, 'hour-of-week');
  assert.ok(Math.abs(r.expected - (50 + 15 * Math.sin((2 * Math.PI * 6) / 24))) < 3, `expected ${r.expected}`);
  assert.equal(r.alarm, true);
});

test('little history degrades to hour-of-day, then global, then no baseline', () => {
  const week = traffic(24 * 7, 4); // one point per hour-of-week bucket
  const byDay = SeasonalBaseline.fit(week.times, week.values);
  const tuesday = START + (7 + 1) * 24 * HOUR + 15 * HOUR;
  const e = byDay.expected(tuesday);
  assert.equal(e.level, 'hour-of-day');
  assert.equal(e.n, 7);
  // Even from one week, the daily cycle keeps the quiet night from looking like an outage.
  const night = byDay.score(tuesday - 12 * HOUR, 100 + 30 * Math.sin((2 * Math.PI * -6) / 24));
  assert.equal(night.alarm, false, `night z ${night.z}`);
  assert.equal(byDay.score(tuesday, 300).alarm, true);

  const hours = traffic(10, 5);
  const global = SeasonalBaseline.fit(hours.times, hours.values);
  assert.equal(global.expected(tuesday).level, 'global');
  assert.equal(global.expected(tuesday).n, 10);

  const none = SeasonalBaseline.fit([START], [5]);
  assert.deepEqual(none.score(tuesday, 1e6), { z: 0, alarm: false, expected: NaN, scale: NaN, level: 'none' });
});

test('two weeks are enough for hour-of-week buckets, and their spread is not overconfident', () => {
  const history = traffic(24 * 14, 6);
  const baseline = SeasonalBaseline.fit(history.times, history.values);
  const next = traffic(24 * 7, 7, START + 14 * 24 * HOUR);
  const results = next.values.map((v, i) => baseline.score(next.times[i], v));
  assert.ok(results.every((r) => r.level === 'hour-of-week'));
  assert.deepEqual(results.flatMap((r, i) => (r.alarm ? [i] : [])), []);
  // Noise is σ = 3; a two-point median predicts with σ√1.5 ≈ 3.7. The spread should be near that.
  const scales = results.map((r) => r.scale).sort((a, b) => a - b);
  const median = scales[scales.length >> 1];
  assert.ok(median > 2.5 && median < 6, `median scale ${median}`);
});

test('a flat history uses minScale, and bad input is rejected', () => {
  const times = Array.from({ length: 48 }, (_, i) => START + i * HOUR);
  const flat = SeasonalBaseline.fit(times, times.map(() => 0), { minScale: 0.02 });
  assert.deepEqual(flat.score(START + 49 * HOUR, 0.05), { z: 2.5, alarm: false, expected: 0, scale: 0.02, level: 'hour-of-day' });
  assert.equal(flat.score(START + 49 * HOUR, 0.1).alarm, true);
  assert.throws(() => SeasonalBaseline.fit([1, 2], [1]), { code: 'MODEL_BAD_SERIES', message: 'Baseline history has 2 times but 1 values' });
  assert.throws(() => SeasonalBaseline.fit([START], [NaN]), { code: 'MODEL_NON_FINITE_FEATURE' });
  assert.throws(() => SeasonalBaseline.fit([START], [1], { utcOffsetMinutes: 1000 }), { code: 'MODEL_BAD_OPTION' });
});
