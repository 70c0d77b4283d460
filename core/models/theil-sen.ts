import { ColdrootError } from '../errors.js';
import { medianInPlace } from './robust-statistics.js';
import { SeededRandom } from './seeded-random.js';

/**
 * Theil–Sen line: the slope is the median of the slopes between all pairs of points, so up to
 * about 29% of the points can be outliers (a bad day, an incident) without moving it. The
 * confidence interval on the slope is Sen's (1968), from Kendall's τ; its lower end above zero
 * is also the Mann–Kendall test for a rising trend.
 */

export interface TheilSenLine {
  /** Change in value per unit of x. */
  readonly slope: number;
  /** Value of the line at x = 0. */
  readonly intercept: number;
  /** Confidence interval on the slope at the requested level. */
  readonly slopeLow: number;
  readonly slopeHigh: number;
  readonly n: number;
  /** Sen's interval at another confidence level, from the same pairwise slopes. */
  slopeInterval(confidence: number): { low: number; high: number };
}

/** Beyond this many pairs, a seeded sample of pairs stands in for all of them. */
const MAX_PAIRS = 200_000;

export function fitTheilSen(x: ArrayLike<number>, y: ArrayLike<number>, confidence = 0.95): TheilSenLine {
  const n = x.length;
  if (n !== y.length) {
    throw new ColdrootError('MODEL_BAD_SERIES', `Theil–Sen got ${n} x values but ${y.length} y values`, 'Pass one x per y.');
  }
  checkConfidence(confidence);
  if (n < 3) {
    throw new ColdrootError('MODEL_SERIES_TOO_SHORT', `Theil–Sen needs at least 3 points, got ${n}`, 'Collect more history before forecasting.');
  }
  const total = (n * (n - 1)) / 2;
  const slopes: number[] = [];
  if (total <= MAX_PAIRS) {
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) if (x[j] !== x[i]) slopes.push((y[j] - y[i]) / (x[j] - x[i]));
    }
  } else {
    const r = new SeededRandom(n);
    while (slopes.length < MAX_PAIRS) {
      const i = r.nextInt(n);
      const j = r.nextInt(n);
      if (x[j] !== x[i]) slopes.push((y[j] - y[i]) / (x[j] - x[i]));
    }
  }
  if (slopes.length === 0) {
    throw new ColdrootError('MODEL_BAD_SERIES', 'Theil–Sen needs at least two distinct x values', 'Pass points at different times.');
  }
  const sorted = Float64Array.from(slopes).sort();
  const m = sorted.length;
  const slope = m % 2 ? sorted[(m - 1) / 2] : (sorted[m / 2 - 1] + sorted[m / 2]) / 2;
  const residual = new Float64Array(n);
  for (let i = 0; i < n; i++) residual[i] = y[i] - slope * x[i];
  const intercept = medianInPlace(residual);

  // Sen's interval: the slopes of 1-based rank (N − C)/2 and (N + C)/2 + 1, C = z·sd(Kendall's S)
  // (no ties), rounded as scipy.stats.theilslopes does.
  const sdS = Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18) * (m / total);
  const slopeInterval = (level: number): { low: number; high: number } => {
    checkConfidence(level);
    const c = normalQuantile(0.5 + level / 2) * sdS;
    const lo = Math.round((m - c) / 2) - 1;
    const hi = Math.round((m + c) / 2);
    return { low: lo >= 0 ? sorted[Math.min(m - 1, lo)] : -Infinity, high: hi <= m - 1 ? sorted[Math.max(0, hi)] : Infinity };
  };
  const { low, high } = slopeInterval(confidence);
  return { slope, intercept, slopeLow: low, slopeHigh: high, n, slopeInterval };
}

function checkConfidence(confidence: number): void {
  if (!(confidence > 0 && confidence < 1)) {
    throw new ColdrootError('MODEL_BAD_OPTION', `Theil–Sen confidence must be in (0, 1), got ${confidence}`, 'Use e.g. 0.95.');
  }
}

/** Inverse of the standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs p in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const low = 0.02425;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - low) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q) /
    (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}
