import { test } from 'node:test';
import assert from 'node:assert/strict';
import { medianInPlace, robustStats, robustZScore } from './robust-statistics.js';
import { SeededRandom } from './seeded-random.js';
import { EwmaDetector, RollingRobustDetector, type DetectorResult } from './statistical-detectors.js';

/** Hourly daily sine around 100 (amplitude 30) with N(0, 3) noise. */
function dailySine(hours: number, seed: number): number[] {
  const r = new SeededRandom(seed);
  return Array.from({ length: hours }, (_, h) => {
    const noise = Math.sqrt(-2 * Math.log(1 - r.nextFloat())) * Math.cos(2 * Math.PI * r.nextFloat());
    return 100 + 30 * Math.sin((2 * Math.PI * h) / 24) + 3 * noise;
  });
}

function alarmsAt(results: DetectorResult[]): number[] {
  return results.flatMap((r, i) => (r.alarm ? [i] : []));
}

test('median and MAD match a sort-based reference, odd and even lengths', () => {
  assert.deepEqual(robustStats([1, 2, 3, 4, 100]), { n: 5, median: 3, mad: 1, scale: 1.4826 });
  assert.equal(robustStats([4, 1, 3, 2]).median, 2.5);
  const r = new SeededRandom(1);
  for (const n of [1, 2, 7, 50, 51, 200]) {
    const values = Float64Array.from({ length: n }, () => Math.floor(r.nextFloat() * 20)); // many ties
    const sorted = Array.from(values).sort((a, b) => a - b);
    const expected = n % 2 ? sorted[(n - 1) / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    assert.equal(medianInPlace(values.slice()), expected, `n ${n}`);
  }
  assert.ok(Number.isNaN(medianInPlace(new Float64Array(0))));
  assert.equal(robustZScore(10, robustStats([5, 5, 5])), 5e9, 'flat history: the floor, not a division by zero');
});

test('EWMA: a daily sine with noise raises no alarm; a spike alarms in its own window', () => {
  const series = dailySine(24 * 30, 2);
  const quiet = new EwmaDetector({ alpha: 0.3 });
  assert.deepEqual(alarmsAt(series.map((v) => quiet.update(v))), []);

  const spiked = series.slice();
  spiked[500] += 150;
  const d = new EwmaDetector({ alpha: 0.3 });
  const results = spiked.map((v) => d.update(v));
  assert.deepEqual(alarmsAt(results), [500]);
  assert.ok(results[500].z > 4, `z ${results[500].z}`);
});

test('EWMA: a step alarms at once and the baseline then follows the new level', () => {
  const series = dailySine(24 * 30, 3).map((v, h) => (h >= 600 ? v + 150 : v));
  const d = new EwmaDetector({ alpha: 0.3 });
  const alarms = alarmsAt(series.map((v) => d.update(v)));
  assert.equal(alarms[0], 600);
  assert.ok(alarms.every((h) => h < 600 + 48), `alarms ${alarms}`);
  assert.ok(Math.abs(d.mean - 250) < 40, `mean after the step ${d.mean}`);
});

test('EWMA: no alarm during warm-up, and a flat series uses the scale floor', () => {
  const d = new EwmaDetector({ alpha: 0.5, minScale: 0.5 });
  assert.equal(d.update(10).alarm, false);
  assert.equal(d.update(1000).alarm, false, 'second point is inside the warm-up of 4');
  const flat = new EwmaDetector({ alpha: 0.2, minScale: 0.5 });
  for (let i = 0; i < 50; i++) flat.update(7);
  assert.deepEqual(flat.update(8), { z: 2, alarm: false, expected: 7, scale: 0.5 });
  assert.equal(flat.update(10).alarm, true);
  assert.throws(() => new EwmaDetector({ alpha: 0 }), { code: 'MODEL_BAD_OPTION', message: 'EWMA alpha must be a number in (0, 1], got 0' });
  assert.throws(() => flat.update(NaN), { code: 'MODEL_NON_FINITE_FEATURE', message: 'EWMA detector was given NaN' });
});

test('rolling robust z: quiet on a daily sine, alarms on a spike and on a step in their window', () => {
  const series = dailySine(24 * 30, 4);
  const quiet = new RollingRobustDetector();
  assert.deepEqual(alarmsAt(series.map((v) => quiet.update(v))), []);

  const withEvents = series.map((v, h) => (h === 300 ? v + 250 : h >= 600 ? v + 250 : v));
  const d = new RollingRobustDetector();
  const alarms = alarmsAt(withEvents.map((v) => d.update(v)));
  assert.equal(alarms[0], 300);
  assert.equal(alarms[1], 600);
  // Past incidents inside the window do not widen it: the spike at 300 is one point in 168.
  assert.ok(!alarms.includes(301));
});

test('rolling robust z still sees a modest jump after incidents that blind a mean/σ window', () => {
  const r = new SeededRandom(5);
  const base = Array.from({ length: 400 }, () => 50 + (r.nextFloat() - 0.5) * 4);
  for (const h of [100, 120, 140, 160, 180]) base[h] = 500; // five incidents in the window
  base[250] = 65; // a modest jump after them
  const robust = new RollingRobustDetector({ window: 168 });
  const hit = base.map((v) => robust.update(v))[250];
  assert.equal(hit.alarm, true, `robust z ${hit.z}`);
  assert.ok(Math.abs(hit.expected - 50) < 1);
  // The same window judged by mean and standard deviation: the incidents swamp the jump.
  const window = base.slice(250 - 168, 250);
  const mean = window.reduce((a, b) => a + b, 0) / window.length;
  const sd = Math.sqrt(window.reduce((a, b) => a + (b - mean) ** 2, 0) / (window.length - 1));
  assert.ok(Math.abs((65 - mean) / sd) < 1, `classic z ${(65 - mean) / sd}`);
});
