import type { MetricSample } from '../../../../core/bundles/payloads/metrics-fields.js';
import { RISK_LEVELS, type RiskReport } from '../../../../core/bundles/payloads/risk-report.js';
import { robustStats, robustZScore } from '../../../../core/models/robust-statistics.js';

/**
 * Local scoring of a host's newest sample against its own recent history (robust z-score:
 * distance from the median in units of 1.4826 × MAD), so a host can flag itself in its next
 * bundle without waiting for the console's models. Only upward moves count: fewer failures or
 * fewer new clients are not a risk.
 */

interface Feature {
  metric: keyof MetricSample;
  kind: string;
  value: (s: MetricSample) => number;
  /** Floor on the scale, in the feature's unit: a flat history must not turn one event into an alarm. */
  minScale: number;
}

const sum = (m: Record<string, number>) => Object.values(m).reduce((a, b) => a + b, 0);

export const RISK_FEATURES: readonly Feature[] = [
  { metric: 'hs_failed', kind: 'handshake-failure-spike', value: (s) => (s.hs_attempted > 0 ? s.hs_failed / s.hs_attempted : 0), minScale: 0.05 },
  { metric: 'hs_p95_ms', kind: 'latency-spike', value: (s) => s.hs_p95_ms ?? 0, minScale: 5 },
  { metric: 'client_ips_new', kind: 'new-client-ip-burst', value: (s) => s.client_ips_new, minScale: 1 },
  { metric: 'cert_validation_errors', kind: 'certificate-error-spike', value: (s) => sum(s.cert_validation_errors), minScale: 1 },
  { metric: 'cpu_pct', kind: 'cpu-spike', value: (s) => s.cpu_pct, minScale: 2 },
  { metric: 'net_rx_bytes', kind: 'network-rx-spike', value: (s) => s.net_rx_bytes / s.interval_s, minScale: 1024 },
];

/** Each row: [start of the window (Unix s), interval_s, ...feature values in RISK_FEATURES order]. */
export type RiskHistory = number[][];

export const RISK_HISTORY_LENGTH = 288;
export const RISK_MIN_HISTORY = 12;
export const RISK_THRESHOLD = 4.5;
export const RISK_MODEL = { name: 'robust-z', version: '1' } as const;

function level(score: number): RiskReport['level'] {
  return RISK_LEVELS[Math.min(3, Math.floor(score * 4))];
}

/**
 * Scores `sample` against `history` (rows from earlier windows), then appends it (bounded). Returns
 * null while the history is shorter than RISK_MIN_HISTORY. The score is the largest anomaly's,
 * |z| mapped to 0..1 so that the threshold gives 0.5 and twice the threshold or more gives 1.
 */
export function scoreLocally(history: RiskHistory, sample: MetricSample, computedAt: Date): RiskReport | null {
  const values = RISK_FEATURES.map((f) => f.value(sample));
  const startS = Date.parse(sample.t) / 1000;
  let report: RiskReport | null = null;
  if (history.length >= RISK_MIN_HISTORY) {
    const anomalies: RiskReport['anomalies'] = [];
    let top = 0;
    RISK_FEATURES.forEach((f, i) => {
      const z = robustZScore(values[i], robustStats(history.map((row) => row[2 + i])), f.minScale);
      const score = Math.min(1, Math.max(0, z) / (2 * RISK_THRESHOLD));
      top = Math.max(top, score);
      if (z >= RISK_THRESHOLD) {
        // coldroot.risk-report.v1 names metrics with [a-z_] only, so hs_p95_ms cannot be named there.
        anomalies.push({ kind: f.kind, ...(/^[a-z_]{1,64}$/.test(f.metric) ? { metric: f.metric } : {}), at: sample.t, score: Math.round(score * 1000) / 1000, detail: `${f.metric} ${Math.round(values[i] * 1000) / 1000}: robust z ${z.toFixed(1)} over the last ${history.length} windows` });
      }
    });
    const from = new Date(history[0][0] * 1000).toISOString().replace(/\.000Z$/, 'Z');
    const to = new Date((startS + sample.interval_s) * 1000).toISOString().replace(/\.000Z$/, 'Z');
    const score = Math.round(top * 1000) / 1000;
    report = { host: sample.host, cert: sample.cert, computedAt: computedAt.toISOString().replace(/\.\d{3}Z$/, 'Z'), window: { from, to }, model: { ...RISK_MODEL }, score, level: level(score), anomalies };
  }
  history.push([startS, sample.interval_s, ...values]);
  if (history.length > RISK_HISTORY_LENGTH) history.splice(0, history.length - RISK_HISTORY_LENGTH);
  return report;
}
