import { FEATURE_COUNT, FEATURES, naturalValue } from './features/feature-set.js';
import { ALARM_COMBINED, type DetectorParams, type SeriesAssessment } from './risk-detector.js';

/**
 * A 0–100 risk score from the severity and the frequency of a series' anomalies in the scored
 * period, and the evidence behind it. Severity is how far past its alarm threshold the strongest
 * alarmed window went (statistical z over its threshold, or the forest score's excess over its
 * threshold); frequency is how many windows alarmed. score = 100 · (1 − e^−severity) · (0.6 +
 * 0.4 · (1 − e^−windows/6)): one window just over the threshold gives about 44, a day-long
 * incident at three times the threshold about 94. Without an alarm the score stays below 40
 * and only shows how unusual the period was.
 */

export type RiskLevel = 'low' | 'medium' | 'high' | 'critical';

export function riskLevel(score: number): RiskLevel {
  return score >= 85 ? 'critical' : score >= 60 ? 'high' : score >= 40 ? 'medium' : 'low';
}

export interface FeatureEvidence {
  feature: string;
  description: string;
  /** The window's value and the baseline's expectation, in the feature's natural unit. */
  value: number;
  expected: number;
  /** Distance from the baseline in baseline standard deviations. */
  z: number;
  /** First window of the alarm run in which this feature was at least half-way to the threshold. */
  since: string;
}

export interface RiskEvidence {
  windows: number;
  anomalyWindows: number;
  firstAnomalyAt: string | null;
  lastAnomalyAt: string | null;
  peakAt: string | null;
  statistical: { peakZ: number; threshold: number; feature: string | null };
  isolationForest: { peakScore: number; threshold: number };
  features: FeatureEvidence[];
  /** Days of history behind the baselines (the fewest over the features that have one). */
  baselineDays: number;
}

export interface SeriesRisk {
  score: number;
  level: RiskLevel;
  evidence: RiskEvidence;
}

const iso = (ms: number) => new Date(ms).toISOString();

export function seriesRisk(a: SeriesAssessment, p: DetectorParams): SeriesRisk {
  const n = a.stat.length;
  const forestExcess = (s: number) => (s - 0.5) / Math.max(1e-9, p.forestThreshold - 0.5);
  let alarmed = 0;
  let first = -1;
  let last = -1;
  let peak = -1;
  let severity = 0;
  let unusual = 0;
  let peakZ = 0;
  let peakForest = 0;
  for (let i = 0; i < n; i++) {
    const ratio = Math.max(a.stat[i] / p.statThreshold, forestExcess(a.forest[i]));
    peakZ = Math.max(peakZ, a.stat[i]);
    peakForest = Math.max(peakForest, a.forest[i]);
    unusual = Math.max(unusual, ratio);
    if (a.alarms[i] & ALARM_COMBINED) {
      alarmed++;
      if (first < 0) first = i;
      last = i;
      if (ratio > severity) {
        severity = ratio;
        peak = i;
      }
    }
  }
  const score = alarmed
    ? 100 * (1 - Math.exp(-severity)) * (0.6 + 0.4 * (1 - Math.exp(-alarmed / 6)))
    : Math.min(39, 40 * (1 - Math.exp(-Math.max(0, unusual))));
  const rounded = Math.round(score * 10) / 10;
  const t = a.residuals.times;
  const features: FeatureEvidence[] = [];
  if (peak >= 0) {
    const F = FEATURE_COUNT;
    const ranked = FEATURES.map((def, f) => ({ f, def, z: a.residuals.z[peak * F + f] }))
      .filter((e) => Math.abs(e.z) >= 0.5 * p.statThreshold)
      .sort((x, y) => Math.abs(y.z) - Math.abs(x.z)).slice(0, 5);
    for (const { f, def, z } of ranked) {
      let since = peak;
      while (since > 0 && a.alarms[since - 1] & ALARM_COMBINED && Math.abs(a.residuals.z[(since - 1) * F + f]) >= 0.5 * p.statThreshold) since--;
      features.push({
        feature: def.name, description: def.description, value: naturalValue(f, a.residuals.x[peak * F + f]),
        expected: naturalValue(f, a.residuals.expected[peak * F + f]), z: Math.round(z * 100) / 100, since: iso(t[since]),
      });
    }
  }
  const history = Array.from(a.residuals.historyDays).filter((d) => d > 0);
  const statFeature = peak >= 0 ? a.statFeature[peak] : -1;
  return {
    score: rounded,
    level: alarmed ? riskLevel(rounded) : 'low',
    evidence: {
      windows: n, anomalyWindows: alarmed,
      firstAnomalyAt: first >= 0 ? iso(t[first]) : null, lastAnomalyAt: last >= 0 ? iso(t[last]) : null, peakAt: peak >= 0 ? iso(t[peak]) : null,
      statistical: { peakZ: Math.round(peakZ * 100) / 100, threshold: p.statThreshold, feature: statFeature >= 0 ? FEATURES[statFeature].name : null },
      isolationForest: { peakScore: Math.round(peakForest * 1e4) / 1e4, threshold: Math.round(p.forestThreshold * 1e4) / 1e4 },
      features,
      baselineDays: history.length ? Math.round(Math.min(...history) * 10) / 10 : 0,
    },
  };
}
