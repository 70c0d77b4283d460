import { ColdrootError } from '../errors.js';
import { FEATURE_COUNT, FEATURE_NAMES, FEATURES } from './features/feature-set.js';
import type { SeriesWindows } from './features/hourly-features.js';
import { featureMatrix } from './feature-matrix.js';
import { IsolationForest } from './isolation-forest.js';
import { SeasonalBaseline } from './seasonal-baseline.js';
import { SeededRandom } from './seeded-random.js';

/**
 * The anomaly detectors over one host-certificate series. Every feature is judged against its
 * own seasonal baseline (168 hour-of-week buckets, seasonal-baseline.ts) fitted on the days
 * before the scored windows, which turns daily and weekly cycles into residual z-scores:
 * - statistical: the largest residual z in a feature's suspicious direction;
 * - isolation forest: the multivariate residual vector (clipped z of every feature) against a
 *   forest trained on out-of-sample residuals of the fleet;
 * - combined: the statistical alarm, or the forest's alarm backed by a residual half-way to the
 *   statistical threshold (the forest alone alarms on harmless multivariate oddities).
 * An alarm needs two windows in a row over the threshold, or one window over the strong
 * threshold, so one noisy hour does not alarm and a real incident alarms within two windows.
 */

export interface DetectorParams {
  readonly features: readonly string[];
  /** Days of history behind each series' baselines. */
  readonly baselineDays: number;
  /** The last days of a training window are scored out-of-sample to train the forest. */
  readonly holdoutDays: number;
  /** Directional residual z for a statistical alarm (two windows in a row), and for one window alone. */
  readonly statThreshold: number;
  readonly statStrong: number;
  /** Forest scores for an alarm (two windows in a row) and one window alone, calibrated at training. */
  readonly forestThreshold: number;
  readonly forestStrong: number;
  /** Quantiles of the training rows' forest scores the two thresholds are set at. */
  readonly forestQuantile: number;
  readonly forestStrongQuantile: number;
  /** Residual z is clipped to ±zClip before the forest sees it. */
  readonly zClip: number;
  readonly nTrees: number;
  readonly maxSamples: number;
  readonly seed: number;
  /** Largest number of residual rows the forest is trained and calibrated on. */
  readonly trainingRows: number;
}

export const DEFAULT_DETECTOR_PARAMS: DetectorParams = {
  features: FEATURE_NAMES,
  baselineDays: 21,
  holdoutDays: 7,
  statThreshold: 7,
  statStrong: 14,
  forestThreshold: NaN,
  forestStrong: NaN,
  forestQuantile: 0.9999,
  forestStrongQuantile: 0.99999,
  zClip: 20,
  nTrees: 100,
  maxSamples: 256,
  seed: 1,
  trainingRows: 200_000,
};

export const ALARM_STAT = 1;
export const ALARM_FOREST = 2;
export const ALARM_COMBINED = 4;

const DAY_MS = 86_400_000;
const MIN_HISTORY = 48;
const QUIET_CLIP = 3;

/** Residuals of a series' windows in [from, to) against baselines fitted on [baselineFrom, baselineTo). */
export interface Residuals {
  readonly times: Float64Array;
  /** Raw features, n × F. */
  readonly x: Float64Array;
  /** Residual z (0 where a feature is missing or has no baseline), n × F. */
  readonly z: Float64Array;
  readonly expected: Float64Array;
  /** Days of history behind each feature's baseline (0: none). */
  readonly historyDays: Float64Array;
}

export function residuals(s: SeriesWindows, baselineFrom: number, baselineTo: number, from: number, to: number): Residuals {
  const F = FEATURE_COUNT;
  let h0 = 0;
  while (h0 < s.times.length && s.times[h0] < baselineFrom) h0++;
  let h1 = h0;
  while (h1 < s.times.length && s.times[h1] < baselineTo) h1++;
  let r0 = 0;
  while (r0 < s.times.length && s.times[r0] < from) r0++;
  let r1 = r0;
  while (r1 < s.times.length && s.times[r1] < to) r1++;
  const n = r1 - r0;
  const out = { times: s.times.slice(r0, r1), x: s.x.slice(r0 * F, r1 * F), z: new Float64Array(n * F), expected: new Float64Array(n * F).fill(NaN), historyDays: new Float64Array(F) };
  const ht = new Float64Array(h1 - h0);
  const hv = new Float64Array(h1 - h0);
  for (let f = 0; f < F; f++) {
    let m = 0;
    for (let i = h0; i < h1; i++) {
      const v = s.x[i * F + f];
      if (v === v) {
        ht[m] = s.times[i];
        hv[m++] = v;
      }
    }
    if (m < MIN_HISTORY) continue;
    out.historyDays[f] = m / 24;
    const baseline = SeasonalBaseline.fit(ht.subarray(0, m), hv.subarray(0, m), { minScale: FEATURES[f].minScale });
    for (let i = 0; i < n; i++) {
      const v = out.x[i * F + f];
      const e = baseline.expected(out.times[i]);
      out.expected[i * F + f] = e.expected;
      if (v === v && e.level !== 'none') out.z[i * F + f] = (v - e.expected) / e.scale;
    }
  }
  return out;
}

/** Largest residual z in a suspicious direction, and its feature. */
export function statisticalStrength(z: Float64Array, row: number): { value: number; feature: number } {
  let best = 0;
  let feature = -1;
  for (let f = 0; f < FEATURE_COUNT; f++) {
    const v = z[row * FEATURE_COUNT + f];
    const dir = FEATURES[f].direction;
    const d = dir === 'up' ? v : dir === 'down' ? -v : dir === 'both' ? Math.abs(v) : 0;
    if (d > best) {
      best = d;
      feature = f;
    }
  }
  return { value: best, feature };
}

/**
 * Residual rows as the forest reads them: z clipped to ±clip, and on the harmless side of a
 * feature (fewer failures, less traffic on a holiday) to ±QUIET_CLIP, so the forest isolates
 * what could be an incident rather than every quiet day.
 */
export function forestRows(z: Float64Array, clip: number): Float64Array {
  const out = new Float64Array(z.length);
  const F = FEATURE_COUNT;
  for (let f = 0; f < F; f++) {
    const side = FEATURES[f].forest;
    const lo = side === 'up' ? -QUIET_CLIP : -clip;
    const hi = side === 'down' ? QUIET_CLIP : clip;
    for (let i = f; i < z.length; i += F) out[i] = Math.max(lo, Math.min(hi, z[i]));
  }
  return out;
}

/** Alarm when two windows in a row reach `threshold` or one reaches `strong`; `before` is the window preceding the first. */
export function confirmAlarms(s: Float64Array, threshold: number, strong: number, before = 0): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) {
    const prev = i === 0 ? before : s[i - 1];
    out[i] = s[i] >= strong || (s[i] >= threshold && prev >= threshold) ? 1 : 0;
  }
  return out;
}

export interface SeriesAssessment {
  readonly residuals: Residuals;
  readonly stat: Float64Array;
  readonly statFeature: Int16Array;
  readonly forest: Float64Array;
  /** Bit set of ALARM_STAT, ALARM_FOREST, ALARM_COMBINED per window. */
  readonly alarms: Uint8Array;
}

export class RiskDetector {
  constructor(readonly params: DetectorParams, readonly forest: IsolationForest) {
    if (params.features.join(',') !== FEATURE_NAMES.join(',')) {
      throw new ColdrootError('MODEL_FEATURE_MISMATCH', `Model features (${params.features.join(', ')}) differ from this Coldroot's (${FEATURE_NAMES.join(', ')})`,
        'Retrain the model: coldroot models train');
    }
  }

  /** Trains the forest on out-of-sample residuals of the window's last holdoutDays and calibrates its thresholds. */
  static train(series: Iterable<SeriesWindows>, windowFrom: number, windowTo: number, options: Partial<DetectorParams> = {}): { detector: RiskDetector; evaluation: TrainingEvaluation } {
    const p = trainingParams(options);
    const holdoutFrom = checkTrainingWindow(p, windowFrom, windowTo);
    function* holdouts(): Generator<HoldoutResiduals> {
      for (const s of series) yield holdoutResiduals(s, windowFrom, holdoutFrom, windowTo, p);
    }
    return RiskDetector.trainOnHoldouts(holdouts(), windowFrom, windowTo, p);
  }

  /**
   * The second half of `train`, over each series' holdout residuals in the series' order (which
   * threads may compute: the reservoir below is the only part that depends on the order).
   */
  static trainOnHoldouts(series: Iterable<HoldoutResiduals>, windowFrom: number, windowTo: number, options: Partial<DetectorParams> = {}): { detector: RiskDetector; evaluation: TrainingEvaluation } {
    const p = trainingParams(options);
    const holdoutFrom = checkTrainingWindow(p, windowFrom, windowTo);
    const F = FEATURE_COUNT;
    const cap = p.trainingRows;
    const reservoir = new Float64Array(cap * F);
    const rng = new SeededRandom(p.seed, 0x7a11);
    let seen = 0;
    let seriesCount = 0;
    let statAlarms = 0;
    for (const h of series) {
      if (!h.rows) continue;
      seriesCount++;
      statAlarms += h.statEpisodes;
      for (let i = 0; i < h.rows; i++) {
        const slot = seen < cap ? seen : rng.nextInt(seen + 1);
        if (slot < cap) reservoir.set(h.clipped.subarray(i * F, i * F + F), slot * F);
        seen++;
      }
    }
    const used = Math.min(seen, cap);
    if (used < 2 * p.maxSamples) {
      throw new ColdrootError('MODEL_TOO_FEW_ROWS', `Only ${used} hourly windows in the training holdout (${new Date(holdoutFrom).toISOString()} to ${new Date(windowTo).toISOString()})`,
        'Import more metric bundles covering the training window, or widen it with --window-days.');
    }
    const x = featureMatrix(reservoir.subarray(0, used * F), F);
    const forest = IsolationForest.fit(x, { nTrees: p.nTrees, maxSamples: p.maxSamples, seed: p.seed });
    const scores = forest.score(x).slice().sort();
    const q = (quantile: number) => scores[Math.min(used - 1, Math.floor(quantile * used))];
    const params: DetectorParams = { ...p, forestThreshold: q(p.forestQuantile), forestStrong: Math.max(q(p.forestStrongQuantile), q(p.forestQuantile)) };
    const evaluation: TrainingEvaluation = {
      series: seriesCount, holdoutWindows: seen, trainingRows: used,
      statAlarmsPer1000HostDays: seen ? (1000 * statAlarms) / (seen / 24) : 0,
      forestThreshold: params.forestThreshold, forestStrong: params.forestStrong,
    };
    return { detector: new RiskDetector(params, forest), evaluation };
  }

  /** Scores a series' windows in [from, to) against baselines of the baselineDays before `from`. */
  assess(s: SeriesWindows, from: number, to: number): SeriesAssessment {
    const p = this.params;
    const F = FEATURE_COUNT;
    // One window before `from` lets the first scored window be confirmed by its predecessor.
    const lead = from - 3_600_000;
    const r = residuals(s, lead - p.baselineDays * DAY_MS, lead, lead, to);
    const n = r.times.length;
    const stat = new Float64Array(n);
    const statFeature = new Int16Array(n);
    for (let i = 0; i < n; i++) {
      const st = statisticalStrength(r.z, i);
      stat[i] = st.value;
      statFeature[i] = st.feature;
    }
    const forest = n ? this.forest.score(featureMatrix(forestRows(r.z, p.zClip), F)) : new Float64Array(0);
    const sa = confirmAlarms(stat, p.statThreshold, p.statStrong);
    const fa = confirmAlarms(forest, p.forestThreshold, p.forestStrong);
    const alarms = new Uint8Array(n);
    // Combined: the statistical alarm, or the forest's alarm backed by a residual half-way to the statistical threshold.
    for (let i = 0; i < n; i++) {
      const backed = fa[i] && stat[i] >= 0.5 * p.statThreshold;
      alarms[i] = (sa[i] ? ALARM_STAT : 0) | (fa[i] ? ALARM_FOREST : 0) | (sa[i] || backed ? ALARM_COMBINED : 0);
    }
    // Drop the lead window: it was only there to confirm the first scored one.
    const k = n && r.times[0] < from ? 1 : 0;
    const cut = <T extends Float64Array | Int16Array | Uint8Array>(a: T, w = 1) => a.subarray(k * w) as T;
    return {
      residuals: { times: cut(r.times), x: cut(r.x, F), z: cut(r.z, F), expected: cut(r.expected, F), historyDays: r.historyDays },
      stat: cut(stat), statFeature: cut(statFeature), forest: cut(forest), alarms: cut(alarms),
    };
  }
}

/** A series' holdout windows as training reads them: forest rows (rows × F) and its statistical alarm episodes. */
export interface HoldoutResiduals {
  readonly rows: number;
  readonly clipped: Float64Array;
  readonly statEpisodes: number;
}

/** The detector's parameters for a training run: defaults, then the caller's, on this Coldroot's features. */
export function trainingParams(options: Partial<DetectorParams>): DetectorParams {
  return { ...DEFAULT_DETECTOR_PARAMS, ...options, features: FEATURE_NAMES };
}

/** Start of the holdout; throws when the window leaves under a week of baseline before it. */
export function checkTrainingWindow(p: DetectorParams, windowFrom: number, windowTo: number): number {
  const holdoutFrom = windowTo - p.holdoutDays * DAY_MS;
  if (!(holdoutFrom - windowFrom >= 7 * DAY_MS)) {
    throw new ColdrootError('MODEL_WINDOW_TOO_SHORT', `Training window of ${((windowTo - windowFrom) / DAY_MS).toFixed(1)} days leaves less than 7 days of baseline before its ${p.holdoutDays}-day holdout`,
      `Train on at least ${7 + p.holdoutDays} days of metrics (--window-days).`);
  }
  return holdoutFrom;
}

/** Residuals of the holdout [holdoutFrom, windowTo) against baselines of [windowFrom, holdoutFrom), as the forest and the evaluation read them. */
export function holdoutResiduals(s: SeriesWindows, windowFrom: number, holdoutFrom: number, windowTo: number, p: DetectorParams): HoldoutResiduals {
  const r = residuals(s, windowFrom, holdoutFrom, holdoutFrom, windowTo);
  const rows = r.times.length;
  const st = new Float64Array(rows);
  for (let i = 0; i < rows; i++) st[i] = statisticalStrength(r.z, i).value;
  return { rows, clipped: forestRows(r.z, p.zClip), statEpisodes: rows ? episodes(confirmAlarms(st, p.statThreshold, p.statStrong)) : 0 };
}

export interface TrainingEvaluation {
  series: number;
  holdoutWindows: number;
  trainingRows: number;
  /** Statistical alarm episodes in the holdout, per 1,000 host-days (the holdout is presumed mostly benign). */
  statAlarmsPer1000HostDays: number;
  forestThreshold: number;
  forestStrong: number;
}

/** Number of alarm episodes (runs of consecutive alarmed windows). */
export function episodes(alarms: Uint8Array, bit = 1): number {
  let count = 0;
  for (let i = 0; i < alarms.length; i++) if (alarms[i] & bit && !(i > 0 && alarms[i - 1] & bit)) count++;
  return count;
}
