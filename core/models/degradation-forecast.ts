import { ColdrootError } from '../errors.js';
import { fitHolt, holtForecast, holtForecastSd, type HoltOptions } from './holt-linear-trend.js';
import { medianInPlace } from './robust-statistics.js';
import { fitTheilSen, normalQuantile } from './theil-sen.js';

/**
 * When will a slowly degrading metric (handshake p95 creeping up, success rate sliding down)
 * cross its threshold? A breach is predicted only when the robust Theil–Sen slope is
 * significantly in the bad direction (its interval at `significance` excludes zero, which is a
 * one-sided Mann–Kendall test at (1 − significance) / 2), so a flat noisy series does not yield
 * a date. The date itself comes from Holt's linear
 * trend (default; follows a trend that bends) or the Theil–Sen line, with a range from the
 * forecast's confidence band. Feed it one point per day (see dailyMedians): hourly points carry
 * the daily cycle, which a trend model would mistake for a trend.
 */

export interface BreachForecastOptions {
  threshold: number;
  /** 'above' (default): a breach is the value rising past the threshold; 'below': falling past it. */
  direction?: 'above' | 'below';
  method?: 'holt' | 'theil-sen';
  /** How far ahead a crossing counts as predicted; default 90 days. */
  horizonDays?: number;
  /** Level of the slope interval and the date range; default 0.95. */
  confidence?: number;
  /** Level of the interval that must exclude a zero slope before any date is predicted; default 0.99. */
  significance?: number;
  /** Fixed Holt weights; fitted when absent. */
  holt?: HoltOptions;
  /** The moment the forecast is made (ms); default the last point's time. */
  now?: number;
}

export interface BreachForecast {
  readonly status: 'breached' | 'predicted' | 'none';
  readonly method: 'holt' | 'theil-sen';
  readonly threshold: number;
  readonly direction: 'above' | 'below';
  /** The model's estimate of the metric's value at the last point. */
  readonly current: number;
  /** Theil–Sen change per day and its confidence interval, in the metric's units. */
  readonly slopePerDay: number;
  readonly slopePerDayLow: number;
  readonly slopePerDayHigh: number;
  /** When the point forecast crosses the threshold (ms), if it does within 10 horizons. */
  readonly predictedAt: number | null;
  /** The early and late ends of the confidence range for the crossing; null if not within 10 horizons. */
  readonly earliestAt: number | null;
  readonly latestAt: number | null;
  /** Days from `now` to predictedAt. */
  readonly daysAhead: number | null;
  /** high: even the slow end of the range crosses within the horizon; medium: the point forecast does. */
  readonly confidence: 'high' | 'medium' | 'low';
  readonly note: string;
}

const DAY_MS = 86_400_000;

export function forecastBreach(times: ArrayLike<number>, values: ArrayLike<number>, options: BreachForecastOptions): BreachForecast {
  const n = checkSeries(times, values);
  const { threshold } = options;
  const direction = options.direction ?? 'above';
  const method = options.method ?? 'holt';
  const horizonDays = options.horizonDays ?? 90;
  const confidence = options.confidence ?? 0.95;
  const significance = options.significance ?? 0.99;
  if (!Number.isFinite(threshold)) badOption('threshold', threshold);
  if (!(horizonDays > 0)) badOption('horizonDays', horizonDays);
  if (!(confidence > 0 && confidence < 1)) badOption('confidence', confidence);
  if (!(significance > 0 && significance < 1)) badOption('significance', significance);
  const sign = direction === 'above' ? 1 : -1;
  const first = times[0];
  const last = times[n - 1];
  const now = options.now ?? last;
  // Work in "badness": sign·value rising towards sign·threshold.
  const x = Float64Array.from({ length: n }, (_, i) => (times[i] - first) / DAY_MS);
  const y = Float64Array.from({ length: n }, (_, i) => sign * values[i]);
  const limit = sign * threshold;
  const ts = fitTheilSen(x, y, confidence);
  const slope = { mid: sign * ts.slope, low: sign * (sign > 0 ? ts.slopeLow : ts.slopeHigh), high: sign * (sign > 0 ? ts.slopeHigh : ts.slopeLow) };
  const maxDays = 10 * horizonDays;

  let current: number;
  let crossing: { point: number | null; early: number | null; late: number | null };
  if (method === 'holt') {
    const step = medianStep(times);
    const model = fitHolt(y, options.holt);
    current = model.level;
    const z = normalQuantile(0.5 + confidence / 2);
    const maxSteps = Math.ceil((maxDays * DAY_MS) / step);
    const firstStep = (f: (h: number) => number): number | null => {
      for (let h = 1; h <= maxSteps; h++) if (f(h) >= limit) return last + h * step;
      return null;
    };
    crossing = model.trend > 0
      ? {
        point: last + Math.max(0, (limit - model.level) / model.trend) * step,
        early: firstStep((h) => holtForecast(model, h) + z * holtForecastSd(model, h)),
        late: firstStep((h) => holtForecast(model, h) - z * holtForecastSd(model, h)),
      }
      : { point: null, early: null, late: null };
  } else {
    const xLast = x[n - 1];
    current = ts.intercept + ts.slope * xLast;
    // Range: lines through the series' middle point with the interval's slopes.
    const xMid = x[n >> 1];
    const yMid = ts.intercept + ts.slope * xMid;
    const at = (s: number, x0: number, y0: number): number | null => {
      if (!(s > 0)) return null;
      const days = Math.max(xLast, x0 + (limit - y0) / s);
      return days - xLast <= maxDays ? first + days * DAY_MS : null;
    };
    crossing = { point: at(ts.slope, xLast, current), early: at(ts.slopeHigh, xMid, yMid), late: at(ts.slopeLow, xMid, yMid) };
  }
  if (crossing.point !== null && crossing.point - last > maxDays * DAY_MS) crossing.point = null;

  const significant = ts.slopeInterval(significance).low > 0;
  const horizonEnd = now + horizonDays * DAY_MS;
  const base = {
    method, threshold, direction, current: sign * current,
    slopePerDay: slope.mid, slopePerDayLow: slope.low, slopePerDayHigh: slope.high,
  };
  const trendText = `${direction === 'above' ? 'rising' : 'falling'} ${fmt(Math.abs(slope.mid))}/day ` +
    `(${pct(confidence)} CI ${fmt(slope.low)} to ${fmt(slope.high)}/day, Theil–Sen over ${n} points)`;

  if (current >= limit) {
    return { ...base, status: 'breached', predictedAt: last, earliestAt: null, latestAt: null, daysAhead: 0, confidence: 'high',
      note: `Already ${direction} ${fmt(threshold)}: the ${method === 'holt' ? 'smoothed' : 'trend'} level is ${fmt(sign * current)}.` };
  }
  if (!significant) {
    return { ...base, status: 'none', predictedAt: null, earliestAt: null, latestAt: null, daysAhead: null, confidence: 'low',
      note: `No significant ${direction === 'above' ? 'upward' : 'downward'} trend at ${pct(significance)}: slope ${fmt(slope.mid)}/day, ` +
        `${pct(confidence)} CI ${fmt(slope.low)} to ${fmt(slope.high)}/day over ${n} points.` };
  }
  const { point, early, late } = crossing;
  const within = point !== null && point <= horizonEnd;
  const daysAhead = point === null ? null : (point - now) / DAY_MS;
  const level = !within ? 'low' : late !== null && late <= horizonEnd && n >= 14 ? 'high' : 'medium';
  const range = early !== null || late !== null ? ` (${pct(confidence)} range ${date(early) ?? 'now'} to ${date(late) ?? 'beyond the horizon'})` : '';
  const note = point === null
    ? `Trend is ${trendText}, but the ${method === 'holt' ? "Holt" : 'Theil–Sen'} forecast does not reach ${fmt(threshold)} within ${maxDays} days.`
    : `Trend is ${trendText}; the ${method === 'holt' ? "Holt" : 'Theil–Sen'} forecast crosses ${fmt(threshold)} on ${date(point)}, ` +
      `${fmt(daysAhead!)} days ahead${range}${within ? '' : `, beyond the ${horizonDays}-day horizon`}.`;
  return { ...base, status: within ? 'predicted' : 'none', predictedAt: point, earliestAt: early, latestAt: late, daysAhead, confidence: level, note };
}

/** One point per UTC day: the median of that day's values, stamped at 00:00 UTC. */
export function dailyMedians(times: ArrayLike<number>, values: ArrayLike<number>): { times: number[]; values: number[] } {
  const n = checkSeries(times, values, 1);
  const out = { times: [] as number[], values: [] as number[] };
  let start = 0;
  for (let i = 1; i <= n; i++) {
    const day = Math.floor(times[start] / DAY_MS);
    if (i === n || Math.floor(times[i] / DAY_MS) !== day) {
      out.times.push(day * DAY_MS);
      out.values.push(medianInPlace(Float64Array.from({ length: i - start }, (_, k) => values[start + k])));
      start = i;
    }
  }
  return out;
}

function checkSeries(times: ArrayLike<number>, values: ArrayLike<number>, min = 5): number {
  const n = times.length;
  if (n !== values.length) {
    throw new ColdrootError('MODEL_BAD_SERIES', `Series has ${n} times but ${values.length} values`, 'Pass one time per value.');
  }
  if (n < min) {
    throw new ColdrootError('MODEL_SERIES_TOO_SHORT', `Degradation forecast needs at least ${min} points, got ${n}`,
      'Collect more history before forecasting.');
  }
  for (let i = 0; i < n; i++) {
    if (!Number.isFinite(values[i]) || !Number.isFinite(times[i])) {
      throw new ColdrootError('MODEL_NON_FINITE_FEATURE', `Series point ${i} is ${values[i]} at time ${times[i]}`,
        'Drop missing windows before forecasting.');
    }
    if (i > 0 && !(times[i] > times[i - 1])) {
      throw new ColdrootError('MODEL_BAD_SERIES', `Series times must increase: point ${i} (${times[i]}) is not after point ${i - 1} (${times[i - 1]})`,
        'Sort the series by time and merge duplicate windows.');
    }
  }
  return n;
}

function medianStep(times: ArrayLike<number>): number {
  return medianInPlace(Float64Array.from({ length: times.length - 1 }, (_, i) => times[i + 1] - times[i]));
}

function badOption(name: string, value: number): never {
  throw new ColdrootError('MODEL_BAD_OPTION', `Degradation forecast option ${name} is ${value}`,
    'threshold must be a finite number, horizonDays positive, confidence and significance in (0, 1).');
}

function fmt(v: number): string {
  return Number.isInteger(v) ? String(v) : v.toPrecision(3);
}

function pct(c: number): string {
  return `${Math.round(c * 1000) / 10}%`;
}

function date(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString().slice(0, 10);
}
