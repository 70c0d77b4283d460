import { ColdrootError } from '../errors.js';
import { medianInPlace, MAD_TO_SIGMA } from './robust-statistics.js';

/**
 * Streaming detectors over one metric series (one host, one feature, one value per collection
 * window). Each point is judged against the baseline built from the points before it, so a spike
 * alarms in the window where it happens. For series with daily and weekly cycles use
 * SeasonalBaseline (seasonal-baseline.ts); these two follow level changes but not cycles.
 */

export interface DetectorResult {
  /** Signed distance from the baseline in baseline standard deviations. */
  readonly z: number;
  /** |z| ≥ threshold after the warm-up. */
  readonly alarm: boolean;
  /** The baseline's expected value for this point. */
  readonly expected: number;
  /** The baseline's spread (a standard deviation) used for z. */
  readonly scale: number;
}

export interface EwmaOptions {
  /** Weight of the newest point, 0 < alpha ≤ 1; default 0.1 (about a 10-window memory). */
  alpha?: number;
  /** |z| that raises an alarm; default 4. */
  threshold?: number;
  /** Points seen before any alarm; default ceil(2 / alpha). */
  warmup?: number;
  /** Floor on the standard deviation so a flat series cannot give infinite z; default 1e-9. */
  minScale?: number;
}

/**
 * Exponentially weighted mean and variance (West 1979 / Finch 2009 incremental form). A point
 * beyond the threshold enters the baseline clipped to the threshold, so one spike does not
 * inflate the variance for days, while a lasting level shift is still followed within
 * about 1/alpha windows.
 */
export class EwmaDetector {
  private readonly alpha: number;
  private readonly threshold: number;
  private readonly warmup: number;
  private readonly minScale: number;
  private m = 0;
  private v = 0;
  private n = 0;

  constructor(options: EwmaOptions = {}) {
    this.alpha = options.alpha ?? 0.1;
    if (!(this.alpha > 0 && this.alpha <= 1)) badOption('EWMA alpha', this.alpha, 'a number in (0, 1]');
    this.threshold = positive('EWMA threshold', options.threshold ?? 4);
    this.warmup = options.warmup ?? Math.ceil(2 / this.alpha);
    this.minScale = positive('EWMA minScale', options.minScale ?? 1e-9);
  }

  get count(): number {
    return this.n;
  }

  get mean(): number {
    return this.m;
  }

  get std(): number {
    return Math.sqrt(this.v);
  }

  update(value: number): DetectorResult {
    finite('EWMA', value);
    if (this.n === 0) {
      this.m = value;
      this.n = 1;
      return { z: 0, alarm: false, expected: value, scale: this.minScale };
    }
    const expected = this.m;
    const scale = Math.max(Math.sqrt(this.v), this.minScale);
    const z = (value - expected) / scale;
    const alarm = this.n >= this.warmup && Math.abs(z) >= this.threshold;
    const limit = this.threshold * scale;
    const learned = this.n >= this.warmup ? Math.min(expected + limit, Math.max(expected - limit, value)) : value;
    const diff = learned - this.m;
    const increment = this.alpha * diff;
    this.m += increment;
    this.v = (1 - this.alpha) * (this.v + diff * increment);
    this.n++;
    return { z, alarm, expected, scale };
  }
}

export interface RollingRobustOptions {
  /** Trailing points in the baseline; default 168 (a week of hourly windows). */
  window?: number;
  /** |z| that raises an alarm; default 4.5. */
  threshold?: number;
  /** Points needed before any alarm; default 12. */
  minHistory?: number;
  /** Floor on the scale; default 1e-9. */
  minScale?: number;
}

/**
 * Robust z-score against a trailing window: (x − median) / (1.4826 · MAD). Unlike a mean and
 * standard deviation, a few past incidents inside the window barely move the baseline.
 */
export class RollingRobustDetector {
  private readonly window: number;
  private readonly threshold: number;
  private readonly minHistory: number;
  private readonly minScale: number;
  private readonly ring: Float64Array;
  private readonly scratch: Float64Array;
  private n = 0;

  constructor(options: RollingRobustOptions = {}) {
    this.window = options.window ?? 168;
    if (!Number.isInteger(this.window) || this.window < 3) badOption('rolling window', this.window, 'an integer ≥ 3');
    this.threshold = positive('rolling threshold', options.threshold ?? 4.5);
    this.minHistory = Math.min(options.minHistory ?? 12, this.window);
    this.minScale = positive('rolling minScale', options.minScale ?? 1e-9);
    this.ring = new Float64Array(this.window);
    this.scratch = new Float64Array(this.window);
  }

  update(value: number): DetectorResult {
    finite('rolling robust', value);
    const size = Math.min(this.n, this.window);
    let result: DetectorResult;
    if (size === 0) {
      result = { z: 0, alarm: false, expected: value, scale: this.minScale };
    } else {
      const s = this.scratch;
      s.set(size === this.window ? this.ring : this.ring.subarray(0, size));
      const median = medianInPlace(s, 0, size);
      for (let i = 0; i < size; i++) s[i] = Math.abs(this.ring[i] - median);
      const scale = Math.max(MAD_TO_SIGMA * medianInPlace(s, 0, size), this.minScale);
      const z = (value - median) / scale;
      result = { z, alarm: size >= this.minHistory && Math.abs(z) >= this.threshold, expected: median, scale };
    }
    this.ring[this.n % this.window] = value;
    this.n++;
    return result;
  }
}

function positive(name: string, value: number): number {
  if (!(value > 0) || !Number.isFinite(value)) badOption(name, value, 'a positive number');
  return value;
}

function finite(detector: string, value: number): void {
  if (!Number.isFinite(value)) {
    throw new ColdrootError('MODEL_NON_FINITE_FEATURE', `${detector} detector was given ${value}`,
      'Skip or impute missing metric windows before feeding a detector.');
  }
}

function badOption(name: string, value: number, expected: string): never {
  throw new ColdrootError('MODEL_BAD_OPTION', `${name} must be ${expected}, got ${value}`, `Set ${name} within range, or leave it out for the default.`);
}
