/** Consistency constant: 1.4826 × MAD estimates σ for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

export interface RobustStats {
  readonly n: number;
  readonly median: number;
  /** Median absolute deviation from the median. */
  readonly mad: number;
  /** MAD_TO_SIGMA × mad: comparable to a standard deviation. */
  readonly scale: number;
}

/**
 * Median of values[lo, hi) in expected linear time (quickselect). Reorders that range; pass a
 * scratch copy when the order matters. NaN for an empty range.
 */
export function medianInPlace(values: Float64Array, lo = 0, hi = values.length): number {
  const n = hi - lo;
  if (n <= 0) return NaN;
  const mid = lo + (n >> 1);
  const upper = select(values, lo, hi - 1, mid);
  if (n % 2 === 1) return upper;
  // After selection everything left of mid is ≤ values[mid]: the lower middle is their maximum.
  let lower = -Infinity;
  for (let i = lo; i < mid; i++) if (values[i] > lower) lower = values[i];
  return (lower + upper) / 2;
}

/** Median and MAD of values; `scratch` (at least values.length long) avoids allocating. */
export function robustStats(values: ArrayLike<number>, scratch?: Float64Array): RobustStats {
  const n = values.length;
  const buf = scratch && scratch.length >= n ? scratch : new Float64Array(n);
  for (let i = 0; i < n; i++) buf[i] = values[i];
  const median = medianInPlace(buf, 0, n);
  for (let i = 0; i < n; i++) buf[i] = Math.abs(values[i] - median);
  const mad = medianInPlace(buf, 0, n);
  return { n, median, mad, scale: MAD_TO_SIGMA * mad };
}

/** (value − median) / scale, with scale floored at minScale so a flat history cannot divide by zero. */
export function robustZScore(value: number, stats: RobustStats, minScale = 1e-9): number {
  return (value - stats.median) / Math.max(stats.scale, minScale);
}

/** Returns the k-th smallest of a[lo..hi] (inclusive), leaving it at a[k] with smaller values before it. */
function select(a: Float64Array, lo: number, hi: number, k: number): number {
  while (hi > lo) {
    // Median of three as pivot: sorted and periodic inputs (common in metrics) stay linear.
    const m = (lo + hi) >> 1;
    if (a[m] < a[lo]) swap(a, m, lo);
    if (a[hi] < a[lo]) swap(a, hi, lo);
    if (a[hi] < a[m]) swap(a, hi, m);
    const pivot = a[m];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        swap(a, i, j);
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}

function swap(a: Float64Array, i: number, j: number): void {
  const t = a[i];
  a[i] = a[j];
  a[j] = t;
}
