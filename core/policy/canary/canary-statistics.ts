/** The few bounds the canary controller needs, kept apart so they can be checked against known values. */

/** Standard normal quantile (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs 0 < p < 1, got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lowTail = 0.02425;
  if (p < lowTail) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - lowTail) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

/** A point estimate with a two-sided interval (each side at the one-sided confidence asked for). */
export interface Bounded {
  estimate: number;
  lower: number;
  upper: number;
}

/**
 * p_a − p_b with the Agresti–Caffo interval (one success and one failure added to each side),
 * which stays honest when both rates sit at 100%, where the plain Wald interval collapses to a point.
 * `extraVarianceA` widens side a by variance the binomial model does not see (bucket-to-bucket
 * swings of a busy host).
 */
export function proportionDifference(successA: number, nA: number, successB: number, nB: number, z: number, extraVarianceA = 0): Bounded {
  const pa = (successA + 1) / (nA + 2);
  const pb = (successB + 1) / (nB + 2);
  const variance = Math.max(pa * (1 - pa) / (nA + 2), extraVarianceA) + pb * (1 - pb) / (nB + 2);
  const se = Math.sqrt(variance);
  const estimate = pa - pb;
  return { estimate, lower: estimate - z * se, upper: estimate + z * se };
}

/**
 * target·p_a − p_b (positive: b keeps less than `target` of a's rate), with the same smoothing.
 * Used for "new must keep 95% of old's success rate".
 */
export function ratioShortfall(successA: number, nA: number, successB: number, nB: number, target: number, z: number, extraVarianceA = 0): Bounded {
  const pa = (successA + 1) / (nA + 2);
  const pb = (successB + 1) / (nB + 2);
  const variance = target * target * Math.max(pa * (1 - pa) / (nA + 2), extraVarianceA) + pb * (1 - pb) / (nB + 2);
  const se = Math.sqrt(variance);
  const estimate = target * pa - pb;
  return { estimate, lower: estimate - z * se, upper: estimate + z * se };
}

/** Mean of b minus mean of a (Welch), from counts, means and standard deviations. */
export function meanDifference(nA: number, meanA: number, sdA: number, nB: number, meanB: number, sdB: number, z: number): Bounded {
  const se = Math.sqrt((sdA * sdA) / Math.max(nA, 1) + (sdB * sdB) / Math.max(nB, 1));
  const estimate = meanB - meanA;
  return { estimate, lower: estimate - z * se, upper: estimate + z * se };
}

/** Running sum, sum of squares and count: mean and sample standard deviation without keeping values. */
export interface Moments {
  n: number;
  sum: number;
  sumSq: number;
}

export function momentsMean(m: Moments): number {
  return m.n ? m.sum / m.n : NaN;
}

export function momentsSd(m: Moments): number {
  if (m.n < 2) return 0;
  const mean = m.sum / m.n;
  return Math.sqrt(Math.max(0, (m.sumSq - m.n * mean * mean) / (m.n - 1)));
}
