import { test } from 'node:test';
import assert from 'node:assert/strict';
import { dailyMedians, forecastBreach } from './degradation-forecast.js';
import { fitHolt, holtForecast, holtForecastSd } from './holt-linear-trend.js';
import { SeededRandom } from './seeded-random.js';
import { fitTheilSen, normalQuantile } from './theil-sen.js';

const DAY = 86_400_000;
/** Monday 2025-01-06 00:00 UTC. */
const START = Date.UTC(2025, 0, 6);

/** Daily points f(day) + N(0, sd). */
function daily(days: number, f: (day: number) => number, sd: number, seed: number): { times: number[]; values: number[] } {
  const r = new SeededRandom(seed);
  const times: number[] = [];
  const values: number[] = [];
  for (let d = 0; d < days; d++) {
    const z = Math.sqrt(-2 * Math.log(1 - r.nextFloat())) * Math.cos(2 * Math.PI * r.nextFloat());
    times.push(START + d * DAY);
    values.push(f(d) + sd * z);
  }
  return { times, values };
}

test('Holt recursion: hand-computed known answer and an exact line', () => {
  // By hand: the least-squares line over the 4 points gives trend 1.4 and level 8.5 one step
  // before y0. Then (forecast, level, trend) per point with α = β = 0.5:
  // 9.9 → 9.95, 1.425; 11.375 → 11.6875, 1.58125; 13.26875 → 12.134375, 1.0140625;
  // 13.1484375 → 14.07421875, 1.476953125. Squared errors sum to 8.97613525390625 (n − 3 = 1 dof).
  const m = fitHolt([10, 12, 11, 15], { alpha: 0.5, beta: 0.5 });
  assert.equal(m.level, 14.07421875);
  assert.equal(m.trend, 1.476953125);
  assert.ok(Math.abs(m.sigma ** 2 - 8.97613525390625) < 1e-12);
  assert.equal(holtForecast(m, 2), 14.07421875 + 2 * 1.476953125);
  // Error-correction weights a = 0.5, b = 0.25: v(3) = σ²(1 + 0.75² + 1²) = 2.5625 σ².
  assert.ok(Math.abs(holtForecastSd(m, 3) - m.sigma * Math.sqrt(2.5625)) < 1e-12);
  assert.equal(holtForecastSd(m, 1), m.sigma);

  const line = fitHolt(Array.from({ length: 20 }, (_, t) => 5 + 2 * t));
  assert.ok(Math.abs(line.level - 43) < 1e-9 && Math.abs(line.trend - 2) < 1e-9 && line.sigma < 1e-9, JSON.stringify(line));
  assert.throws(() => fitHolt([1, 2]), { code: 'MODEL_SERIES_TOO_SHORT' });
  assert.throws(() => fitHolt([1, 2, 3], { alpha: 1.5 }), { code: 'MODEL_BAD_OPTION', message: 'Holt alpha must be in (0, 1], got 1.5' });
});

test('Theil–Sen matches scipy.stats.theilslopes(method="joint") and shrugs off outliers', () => {
  const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
  const y = [1.0, 3.9, 7.2, 9.8, 13.1, 15.9, 40.0, 22.1, 25.2, 27.7, 31.3, -5.0];
  // scipy 1.10.1: (3.0, 1.05, 2.8000000000000007, 3.0666666666666664) at 0.95; (…, 2.9, 3.05) at 0.90.
  const line = fitTheilSen(x, y, 0.95);
  assert.equal(line.slope, 3);
  assert.ok(Math.abs(line.intercept - 1.05) < 1e-12);
  assert.ok(Math.abs(line.slopeLow - 2.8) < 1e-12 && Math.abs(line.slopeHigh - 3.0666666666666664) < 1e-12);
  assert.deepEqual(line.slopeInterval(0.9), { low: 2.9, high: 3.05 });
  assert.ok(Math.abs(normalQuantile(0.975) - 1.959963984540054) < 1e-8);
});

test('creeping handshake p95 (+3 ms/day): breach predicted weeks ahead, and still right 7 days before', () => {
  // True line crosses 300 ms on day 60.
  const s = daily(90, (d) => 120 + 3 * d, 8, 1);
  const breachDay = 60;
  for (const method of ['holt', 'theil-sen'] as const) {
    let firstDay = -1;
    for (let d = 7; d <= breachDay; d++) {
      const fc = forecastBreach(s.times.slice(0, d), s.values.slice(0, d), { threshold: 300, method });
      if (fc.status === 'predicted') {
        firstDay = d;
        break;
      }
    }
    assert.ok(firstDay > 0 && breachDay - firstDay >= 30, `${method}: first predicted with ${firstDay} days of history`);

    const late = forecastBreach(s.times.slice(0, breachDay - 7), s.values.slice(0, breachDay - 7), { threshold: 300, method });
    assert.equal(late.status, 'predicted', late.note);
    const errorDays = (late.predictedAt! - (START + breachDay * DAY)) / DAY;
    assert.ok(Math.abs(errorDays) <= 4, `${method}: predicted ${errorDays} days off`);
    assert.ok(late.daysAhead! >= 5, `${method}: ${late.daysAhead} days ahead`);
    assert.ok(late.earliestAt! <= late.predictedAt!);
    assert.ok(Math.abs(late.slopePerDay - 3) < 0.3, String(late.slopePerDay));
  }
  const mid = forecastBreach(s.times.slice(0, 30), s.values.slice(0, 30), { threshold: 300, method: 'theil-sen' });
  assert.equal(mid.confidence, 'high');
  assert.ok(mid.latestAt! >= mid.predictedAt!);
  assert.match(mid.note, /^Trend is rising 3\.\d+\/day \(95% CI \d\.\d+ to \d\.\d+\/day, Theil–Sen over 30 points\); the Theil–Sen forecast crosses 300 on 2025-03-0\d, 3\d\.\d days ahead \(95% range 2025-0\d-\d\d to 2025-0\d-\d\d\)\.$/);
});

test('Holt follows a trend that starts late; the whole-history Theil–Sen line lags it', () => {
  // Flat for 30 days, then +4 ms/day: crosses 300 ms on day 75.
  const s = daily(60, (d) => (d < 30 ? 120 : 120 + 4 * (d - 30)), 8, 2);
  const holt = forecastBreach(s.times, s.values, { threshold: 300 });
  assert.equal(holt.status, 'predicted');
  const errorDays = (holt.predictedAt! - (START + 75 * DAY)) / DAY;
  assert.ok(Math.abs(errorDays) <= 5, `Holt ${errorDays} days off`);
  const ts = forecastBreach(s.times, s.values, { threshold: 300, method: 'theil-sen' });
  assert.ok(ts.predictedAt! > holt.predictedAt!, 'the straight line averages in the flat month');
});

test('flat noisy series: no breach predicted on any day, for many series', () => {
  for (let seed = 0; seed < 10; seed++) {
    const s = daily(90, () => 120, 8, 100 + seed);
    for (let d = 7; d <= 90; d += 1) {
      for (const method of ['holt', 'theil-sen'] as const) {
        const fc = forecastBreach(s.times.slice(0, d), s.values.slice(0, d), { threshold: 300, method });
        assert.equal(fc.status, 'none', `seed ${seed} day ${d} ${method}: ${fc.note}`);
      }
    }
  }
  // Incident days far above normal do not make a trend for the robust line.
  const spiky = daily(60, () => 120, 8, 7);
  for (const d of [8, 23, 41, 55]) spiky.values[d] = 400;
  const fc = forecastBreach(spiky.times, spiky.values, { threshold: 300, method: 'theil-sen' });
  assert.equal(fc.status, 'none', fc.note);
  assert.match(fc.note, /^No significant upward trend at 99%: slope -?\d\.\d+\/day, 95% CI -?\d\.\d+ to \d\.\d+\/day over 60 points\.$/);
});

test('falling metrics, an existing breach, and the horizon', () => {
  // TLS success ratio sliding 0.0004/day from 0.999 towards 0.98: crosses on day 47.5.
  const ok = daily(30, (d) => 0.999 - 0.0004 * d, 0.0005, 3);
  const falling = forecastBreach(ok.times, ok.values, { threshold: 0.98, direction: 'below' });
  assert.equal(falling.status, 'predicted', falling.note);
  assert.ok(falling.slopePerDay < 0 && falling.slopePerDayLow <= falling.slopePerDay && falling.slopePerDay <= falling.slopePerDayHigh);
  assert.ok(Math.abs((falling.predictedAt! - START) / DAY - 47.5) < 5, falling.note);
  assert.match(falling.note, /^Trend is falling 0\.000\d+\/day/);

  const over = daily(20, (d) => 310 + d, 3, 4);
  const breached = forecastBreach(over.times, over.values, { threshold: 300 });
  assert.equal(breached.status, 'breached');
  assert.match(breached.note, /^Already above 300: the smoothed level is 3\d\d\.?\d*\.$/);

  const slow = daily(30, (d) => 120 + 0.5 * d, 1, 5); // crosses 300 around day 360
  const far = forecastBreach(slow.times, slow.values, { threshold: 300, horizonDays: 60, method: 'theil-sen' });
  assert.equal(far.status, 'none');
  assert.equal(far.confidence, 'low');
  assert.match(far.note, /beyond the 60-day horizon\.$/);
  assert.ok(far.daysAhead! > 250 && far.daysAhead! < 400, String(far.daysAhead));
});

test('dailyMedians turns hourly points into one median per UTC day', () => {
  const times = Array.from({ length: 72 }, (_, h) => START + h * 3_600_000);
  const values = times.map((_, h) => (h < 24 ? h : h < 48 ? 100 : 7));
  assert.deepEqual(dailyMedians(times, values), { times: [START, START + DAY, START + 2 * DAY], values: [11.5, 100, 7] });
  assert.throws(() => forecastBreach([1, 2, 2, 3, 4], [1, 2, 3, 4, 5], { threshold: 9 }),
    { code: 'MODEL_BAD_SERIES', message: 'Series times must increase: point 2 (2) is not after point 1 (2)' });
});
