import { ColdrootError } from '../errors.js';
import type { DetectorResult } from './statistical-detectors.js';
import { MAD_TO_SIGMA, medianInPlace } from './robust-statistics.js';

/**
 * Per-host baseline that respects daily and weekly cycles: the median and spread of the metric
 * for each hour of the week (168 buckets), from a window of history. Where a bucket has too
 * little history it falls back to the hour of the day (24 buckets), then to all history.
 *
 * Spreads are honest about small samples. The spread pooled over all buckets of a level uses
 * leave-one-out residuals (each point against the median of the *other* points in its bucket),
 * so it measures how well a bucket median predicts a new point. A bucket's own spread (its MAD,
 * widened by the uncertainty of its median) is blended with the pooled one: a MAD of n points
 * carries about as much information as 0.4·(n − 1) normal points (its 37% efficiency), and the
 * pooled spread counts as `priorWeight` points. So two to four weeks of history lean on the
 * pooled spread, and a bucket earns its own spread over months.
 */

export type BaselineLevel = 'hour-of-week' | 'hour-of-day' | 'global' | 'none';

export interface SeasonalBaselineOptions {
  /** Local time of the host's cycles, minutes east of UTC; default 0. */
  utcOffsetMinutes?: number;
  /** History points a bucket needs before it is used; default 2 (two weeks for hour-of-week). */
  minPerBucket?: number;
  /** Weight of the pooled spread, in points, against a bucket's own spread; default 4. */
  priorWeight?: number;
  /** Floor on the spread: the smallest change in this metric worth an alarm's attention. */
  minScale?: number;
  /** |z| that raises an alarm; default 4.5. */
  threshold?: number;
}

export interface SeasonalExpectation {
  readonly level: BaselineLevel;
  readonly expected: number;
  readonly scale: number;
  /** History points behind this expectation. */
  readonly n: number;
}

interface Bucket {
  readonly n: number;
  readonly median: number;
  readonly scale: number;
}

const HOUR_MS = 3_600_000;
const LOO_MAX = 64;

export class SeasonalBaseline {
  #day: readonly Bucket[] | null = null;
  #all: Bucket | null = null;

  /**
   * The hour-of-day and global levels are fallbacks, read only where an hour-of-week bucket has
   * too little history; they are built on first use from `history` (a private copy), which
   * saves most of a fit's work when every hour of the week has history.
   */
  private constructor(
    private readonly offsetHours: number,
    private readonly minPerBucket: number,
    private readonly minScale: number,
    private readonly threshold: number,
    private readonly priorWeight: number,
    private readonly week: readonly Bucket[],
    private readonly history: { readonly values: Float64Array; readonly hourOfWeek: Int32Array },
  ) {}

  private get day(): readonly Bucket[] {
    if (!this.#day) {
      const day = this.history.hourOfWeek.map((h) => h % 24);
      this.#day = bucketLevel(this.history.values, day, 24, this.priorWeight, this.minPerBucket);
    }
    return this.#day;
  }

  private get all(): Bucket {
    this.#all ??= bucketLevel(this.history.values, new Int32Array(this.history.values.length), 1, this.priorWeight, 2)[0];
    return this.#all;
  }

  /** Builds the baseline from history: times in ms since the epoch (UTC) and their values. */
  static fit(times: ArrayLike<number>, values: ArrayLike<number>, options: SeasonalBaselineOptions = {}): SeasonalBaseline {
    if (times.length !== values.length) {
      throw new ColdrootError('MODEL_BAD_SERIES', `Baseline history has ${times.length} times but ${values.length} values`,
        'Pass one time per value.');
    }
    const offsetMinutes = options.utcOffsetMinutes ?? 0;
    if (!Number.isInteger(offsetMinutes) || Math.abs(offsetMinutes) > 14 * 60) {
      throw new ColdrootError('MODEL_BAD_OPTION', `utcOffsetMinutes must be an integer within ±840, got ${offsetMinutes}`,
        'Give the host\'s offset from UTC in minutes, e.g. 60 for UTC+1.');
    }
    const minPerBucket = options.minPerBucket ?? 2;
    const priorWeight = options.priorWeight ?? 4;
    const minScale = options.minScale ?? 1e-9;
    const threshold = options.threshold ?? 4.5;
    if (!Number.isInteger(minPerBucket) || minPerBucket < 2) {
      throw new ColdrootError('MODEL_BAD_OPTION', `minPerBucket must be an integer ≥ 2, got ${minPerBucket}`, 'Use 2 or more.');
    }
    const offsetHours = offsetMinutes / 60;
    const n = times.length;
    const week = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (!Number.isFinite(values[i]) || !Number.isFinite(times[i])) {
        throw new ColdrootError('MODEL_NON_FINITE_FEATURE', `Baseline history point ${i} is ${values[i]} at time ${times[i]}`,
          'Drop missing metric windows before building a baseline.');
      }
      week[i] = hourOfWeek(times[i], offsetHours);
    }
    return new SeasonalBaseline(offsetHours, minPerBucket, minScale, threshold, priorWeight, bucketLevel(values, week, 168, priorWeight, minPerBucket),
      { values: Float64Array.from(values), hourOfWeek: week });
  }

  /** The expected value and spread for a time, from the most specific bucket with enough history. */
  expected(timeMs: number): SeasonalExpectation {
    const how = hourOfWeek(timeMs, this.offsetHours);
    const week = this.week[how];
    if (week.n >= this.minPerBucket) return this.#expectation('hour-of-week', week);
    const day = this.day[how % 24];
    if (day.n >= this.minPerBucket) return this.#expectation('hour-of-day', day);
    if (this.all.n >= this.minPerBucket) return this.#expectation('global', this.all);
    return { level: 'none', expected: NaN, scale: NaN, n: this.history.values.length };
  }

  #expectation(level: BaselineLevel, bucket: Bucket): SeasonalExpectation {
    return { level, expected: bucket.median, scale: Math.max(bucket.scale, this.minScale), n: bucket.n };
  }

  /** z of a new observation against the baseline; no history means no alarm (z = 0). */
  score(timeMs: number, value: number): DetectorResult & { level: BaselineLevel } {
    const e = this.expected(timeMs);
    if (e.level === 'none') return { z: 0, alarm: false, expected: NaN, scale: NaN, level: 'none' };
    const z = (value - e.expected) / e.scale;
    return { z, alarm: Math.abs(z) >= this.threshold, expected: e.expected, scale: e.scale, level: e.level };
  }
}

/** Hour of the week in local time, 0 = Monday 00:00. 1970-01-01 was a Thursday (day 3). */
export function hourOfWeek(timeMs: number, offsetHours = 0): number {
  const hours = Math.floor(timeMs / HOUR_MS + offsetHours);
  const day = Math.floor(hours / 24);
  const weekday = (((day + 3) % 7) + 7) % 7;
  return weekday * 24 + (((hours % 24) + 24) % 24);
}

/** Scratch space shared by every fit (single-threaded): fits run per feature per series, so allocating per fit dominated. */
let scratch = new Float64Array(0);

function scratchOf(n: number): Float64Array {
  if (scratch.length < 3 * n) scratch = new Float64Array(Math.max(3 * n, 2 * scratch.length));
  return scratch;
}

/**
 * Median and blended spread of each bucket. Values are grouped by bucket (counting sort) and
 * each small group sorted, which gives its median and every leave-one-out median in O(1). Past
 * LOO_MAX points leaving one out changes nothing that matters, and a linear-time median serves.
 * Groups are addressed by offsets into one scratch array (a subarray per bucket cost more than the
 * arithmetic).
 */
function bucketLevel(values: ArrayLike<number>, bucketOf: Int32Array, buckets: number, priorWeight: number, minPerBucket: number): Bucket[] {
  const n = bucketOf.length;
  const start = new Int32Array(buckets + 1);
  for (let i = 0; i < n; i++) start[bucketOf[i] + 1]++;
  for (let b = 0; b < buckets; b++) start[b + 1] += start[b];
  const buf = scratchOf(n);
  // sorted: buf[0, n), residuals: buf[n, 2n), deviations: buf[2n, 3n).
  const R = n;
  const D = 2 * n;
  const fill = start.slice(0, buckets);
  for (let i = 0; i < n; i++) buf[fill[bucketOf[i]]++] = values[i];
  const medians = new Float64Array(buckets);
  for (let b = 0; b < buckets; b++) {
    if (start[b + 1] - start[b] <= LOO_MAX) {
      sortRange(buf, start[b], start[b + 1]);
      medians[b] = sortedMedian(buf, start[b], start[b + 1] - start[b]);
    } else {
      medians[b] = medianInPlace(buf, start[b], start[b + 1]);
    }
  }

  // Pooled spread over the buckets this level would actually use, from leave-one-out residuals.
  let used = R;
  for (let b = 0; b < buckets; b++) {
    const g0 = start[b];
    const count = start[b + 1] - g0;
    if (count < minPerBucket) continue;
    if (count > LOO_MAX) for (let k = 0; k < count; k++) buf[used++] = Math.abs(buf[g0 + k] - medians[b]);
    else for (let k = 0; k < count; k++) buf[used++] = Math.abs(buf[g0 + k] - medianWithout(buf, g0, count, k));
  }
  const pooled = used > R ? MAD_TO_SIGMA * medianInPlace(buf, R, used) : 0;

  const out: Bucket[] = [];
  for (let b = 0; b < buckets; b++) {
    const g0 = start[b];
    const count = start[b + 1] - g0;
    if (count < 2) {
      out.push({ n: count, median: count === 1 ? buf[g0] : NaN, scale: pooled });
      continue;
    }
    const median = medians[b];
    for (let k = 0; k < count; k++) buf[D + k] = Math.abs(buf[g0 + k] - median);
    // The sample median of n points misses the true one by about σ·√(π / 2n).
    const own = MAD_TO_SIGMA * medianInPlace(buf, D, D + count) * Math.sqrt(1 + Math.PI / (2 * count));
    const weight = 0.4 * (count - 1);
    const scale = Math.sqrt((weight * own * own + priorWeight * pooled * pooled) / (weight + priorWeight));
    out.push({ n: count, median, scale });
  }
  return out;
}

/** Insertion sort: buckets hold a few weeks or days of history. */
function sortRange(a: Float64Array, lo: number, hi: number): void {
  for (let i = lo + 1; i < hi; i++) {
    const v = a[i];
    let j = i - 1;
    while (j >= lo && a[j] > v) {
      a[j + 1] = a[j];
      j--;
    }
    a[j + 1] = v;
  }
}

function sortedMedian(g: Float64Array, from: number, count: number): number {
  const mid = from + (count >> 1);
  return count % 2 ? g[mid] : (g[mid - 1] + g[mid]) / 2;
}

/** Median of the sorted group g[from, from + count) without its k-th element: remaining element j sits at j < k ? j : j + 1. */
function medianWithout(g: Float64Array, from: number, count: number, k: number): number {
  const m = count - 1;
  const mid = m >> 1;
  const upper = g[from + (mid < k ? mid : mid + 1)];
  if (m % 2) return upper;
  return (g[from + (mid - 1 < k ? mid - 1 : mid)] + upper) / 2;
}
