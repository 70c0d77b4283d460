import { ColdrootError } from '../errors.js';
import type { DetectorResult } from './statistical-detectors.js';
import { MAD_TO_SIGMA, medianInPlace, robustStats } from './robust-statistics.js';

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
/** Leave-one-out residuals cost O(n²) per bucket; larger buckets use ordinary residuals. */
const LOO_MAX = 64;

export class SeasonalBaseline {
  private constructor(
    private readonly offsetHours: number,
    private readonly minPerBucket: number,
    private readonly minScale: number,
    private readonly threshold: number,
    private readonly week: readonly Bucket[],
    private readonly day: readonly Bucket[],
    private readonly all: Bucket,
  ) {}

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
    const weekGroups: number[][] = Array.from({ length: 168 }, () => []);
    const dayGroups: number[][] = Array.from({ length: 24 }, () => []);
    const allGroup: number[] = [];
    for (let i = 0; i < times.length; i++) {
      const v = values[i];
      if (!Number.isFinite(v) || !Number.isFinite(times[i])) {
        throw new ColdrootError('MODEL_NON_FINITE_FEATURE', `Baseline history point ${i} is ${v} at time ${times[i]}`,
          'Drop missing metric windows before building a baseline.');
      }
      const how = hourOfWeek(times[i], offsetHours);
      weekGroups[how].push(v);
      dayGroups[how % 24].push(v);
      allGroup.push(v);
    }
    const week = bucketLevel(weekGroups, priorWeight, minPerBucket);
    const day = bucketLevel(dayGroups, priorWeight, minPerBucket);
    const [all] = bucketLevel([allGroup], priorWeight, 2);
    return new SeasonalBaseline(offsetHours, minPerBucket, minScale, threshold, week, day, all);
  }

  /** The expected value and spread for a time, from the most specific bucket with enough history. */
  expected(timeMs: number): SeasonalExpectation {
    const how = hourOfWeek(timeMs, this.offsetHours);
    const candidates: [BaselineLevel, Bucket][] = [['hour-of-week', this.week[how]], ['hour-of-day', this.day[how % 24]], ['global', this.all]];
    for (const [level, bucket] of candidates) {
      if (bucket.n >= this.minPerBucket) {
        return { level, expected: bucket.median, scale: Math.max(bucket.scale, this.minScale), n: bucket.n };
      }
    }
    return { level: 'none', expected: NaN, scale: NaN, n: this.all.n };
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

function bucketLevel(groups: number[][], priorWeight: number, minPerBucket: number): Bucket[] {
  // Pooled spread over the buckets this level would actually use.
  const pooledAbs = groups.filter((g) => g.length >= minPerBucket).flatMap(looResiduals);
  const pooled = pooledAbs.length > 0 ? MAD_TO_SIGMA * medianInPlace(Float64Array.from(pooledAbs)) : 0;
  return groups.map((g) => {
    const n = g.length;
    if (n < 2) return { n, median: n === 1 ? g[0] : NaN, scale: pooled };
    const { median, scale: mad } = robustStats(g);
    // The sample median of n points misses the true one by about σ·√(π / 2n).
    const own = mad * Math.sqrt(1 + Math.PI / (2 * n));
    const weight = 0.4 * (n - 1);
    const scale = Math.sqrt((weight * own * own + priorWeight * pooled * pooled) / (weight + priorWeight));
    return { n, median, scale };
  });
}

/** |x_i − median of the bucket without x_i| for each point (ordinary residuals for big buckets). */
function looResiduals(g: number[]): number[] {
  const n = g.length;
  if (n < 2) return [];
  if (n > LOO_MAX) {
    const median = medianInPlace(Float64Array.from(g));
    return g.map((v) => Math.abs(v - median));
  }
  const others = new Float64Array(n - 1);
  return g.map((v, i) => {
    let k = 0;
    for (let j = 0; j < n; j++) if (j !== i) others[k++] = g[j];
    return Math.abs(v - medianInPlace(others));
  });
}
