import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError } from '../errors.js';
import { closeCalmAlerts, enqueueActions } from '../policy/action-queue.js';
import { DEFAULT_POLICY, policySha256, type RiskPolicy } from '../policy/policy-file.js';
import { decideActions, type EmergencyIssuerState, type ProposedAction } from '../policy/risk-policy.js';
import { listSeries, type SeriesRef } from './features/hourly-features.js';
import { loadDetector, metricsHorizon } from './model-registry.js';
import { riskLevel, type RiskLevel } from './risk-score.js';
import type { DetectorParams } from './risk-detector.js';
import { inSeriesOrder, riskThreads, type ScoringReply } from './risk-threads.js';
import { certificateLookup, scoreSeries, type ScoredRow, type ScoringWindow, type SeriesTimings } from './series-scoring.js';

export type { CertificateEvidence } from './series-scoring.js';

/**
 * The console's scoring run: for every host-certificate series, hourly features from the
 * imported metrics, baselines and detectors (the newest trained model unless told otherwise),
 * a risk score with evidence, predicted degradation (handshake trend and certificate-side
 * factors), then the policy's actions. Everything it writes — scores, each certificate's current
 * risk, queued actions — is one transaction with one audit entry.
 */

export interface ScoreFleetInput {
  /** Hours scored, ending at the newest imported window; default 24. */
  windowHours?: number;
  modelVersion?: number;
  policy?: RiskPolicy;
  /** Threads scoring the series; default all cores from PARALLEL_MIN_SERIES (risk-threads.ts) series up, else this thread alone. Results are the same. */
  threads?: number;
}

export interface ScoreFleetResult {
  modelVersion: number;
  computedAt: string;
  windowStart: string;
  windowEnd: string;
  series: number;
  hosts: number;
  levels: Record<RiskLevel, number>;
  actionsAdded: number[];
  actionsAutoApproved: number[];
  /** Approved alerts closed because their certificate now scores below the alert threshold. */
  alertsClosed: number;
  /** Seconds spent reading features, in the detectors, forecasting degradation (summed over threads when threaded), and applying the policy and writing; total is wall time. */
  timings: { features: number; detectors: number; degradation: number; policyAndWrite: number; total: number };
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export function scoreFleet(ctx: OperationContext, input: ScoreFleetInput = {}): ScoreFleetResult {
  const t0 = performance.now();
  const windowHours = input.windowHours ?? 24;
  if (!Number.isInteger(windowHours) || windowHours < 1 || windowHours > 24 * 31) {
    throw new ColdrootError('RISK_BAD_WINDOW', `--window-hours ${windowHours} must be a whole number from 1 to 744`, 'Score the last day with the default (24), or up to a month.');
  }
  const policy = input.policy ?? DEFAULT_POLICY;
  const { version, detector } = loadDetector(ctx, input.modelVersion);
  const end = metricsHorizon(ctx);
  const start = end - windowHours * HOUR_MS;
  // The detectors' baselines cover the baselineDays before the window's lead hour (risk-detector.ts assess); the handshake trend reads six weeks of p95 alone.
  const baselineFrom = start - HOUR_MS - detector.params.baselineDays * DAY_MS;
  const readFrom = Math.min(baselineFrom, end - 42 * DAY_MS);
  const db = ctx.store.db;
  const timings = { features: 0, detectors: 0, degradation: 0, policyAndWrite: 0, total: 0 };
  const refs = listSeries(db);
  const window = { readFrom, baselineFrom, start, end };
  const threads = riskThreads(refs.length, input.threads);
  const rows = threads > 1
    ? scoreOnThreads(ctx, refs, { modelVersion: version.id, params: detector.params, model: detector.forest.toBytes() }, window, timings, threads)
    : scoreSeries(db, refs, detector, certificateLookup(db), window, timings);
  const t = performance.now();
  const computedAt = ctx.now().toISOString();
  const windowStart = new Date(start).toISOString();
  const windowEnd = new Date(end).toISOString();
  const emergency = emergencyIssuer(ctx, policy, end);
  const sha = policySha256(policy);
  const levels: Record<RiskLevel, number> = { low: 0, medium: 0, high: 0, critical: 0 };
  const byHost = new Map<string, ScoredRow[]>();
  for (const r of rows) {
    const list = byHost.get(r.host) ?? [];
    list.push(r);
    byHost.set(r.host, list);
  }
  const result = ctx.store.transaction(() => {
    const insert = db.prepare(`INSERT INTO risk_scores (model_version, subject, host, cert_sha256, computed_at, window_start, window_end, risk_score, level,
      anomaly_windows, first_anomaly_at, last_anomaly_at, degradation_score, predicted_degradation_at, evidence)
      VALUES (@mv, @subject, @host, @cert, @computedAt, @windowStart, @windowEnd, @score, @level, @windows, @first, @last, @degradation, @predicted, @evidence)`);
    const upsert = db.prepare(`INSERT INTO certificate_risk (cert_sha256, host, score_id, model_version, risk_score, level, last_anomaly_at, anomaly_details, degradation_score, predicted_degradation_at, updated_at)
      VALUES (@cert, @host, @scoreId, @mv, @score, @level, @last, @details, @degradation, @predicted, @computedAt)
      ON CONFLICT (cert_sha256) DO UPDATE SET host = excluded.host, score_id = excluded.score_id, model_version = excluded.model_version, risk_score = excluded.risk_score,
        level = excluded.level, last_anomaly_at = coalesce(excluded.last_anomaly_at, certificate_risk.last_anomaly_at), anomaly_details = excluded.anomaly_details,
        degradation_score = excluded.degradation_score, predicted_degradation_at = excluded.predicted_degradation_at, updated_at = excluded.updated_at`);
    const proposals: Array<ProposedAction & { scoreId: number; evidence: unknown }> = [];
    const base = { mv: version.id, computedAt, windowStart, windowEnd };
    for (const [host, list] of byHost) {
      for (const r of list) {
        const scoreId = Number(insert.run({ ...base, subject: 'certificate', host, cert: r.certSha256, score: r.score, level: r.level, windows: r.anomalyWindows,
          first: r.first, last: r.last, degradation: r.degradationScore, predicted: r.predictedAt, evidence: JSON.stringify(r.evidence) }).lastInsertRowid);
        upsert.run({ ...base, cert: r.certSha256, host, scoreId, score: r.score, level: r.level, last: r.last,
          details: JSON.stringify(r.evidence), degradation: r.degradationScore, predicted: r.predictedAt });
        const decided = decideActions(policy, { host, certSha256: r.certSha256, riskScore: r.score, degradationScore: r.degradationScore, predictedDegradationAt: r.predictedAt }, new Date(end), emergency);
        for (const d of decided) proposals.push({ ...d, scoreId, evidence: { riskScore: r.score, level: r.level, degradationScore: r.degradationScore, predictedDegradationAt: r.predictedAt, modelVersion: version.id, ...r.evidence } });
      }
      const worst = list.reduce((a, b) => (b.score > a.score ? b : a));
      const degradation = list.reduce((a, b) => (b.degradationScore > a.degradationScore ? b : a));
      const level = worst.level;
      levels[level]++;
      insert.run({ ...base, subject: 'host', host, cert: null, score: worst.score, level, windows: Math.max(...list.map((r) => r.anomalyWindows)),
        first: list.map((r) => r.first).filter(Boolean).sort()[0] ?? null, last: list.map((r) => r.last).filter(Boolean).sort().at(-1) ?? null,
        degradation: degradation.degradationScore, predicted: degradation.predictedAt,
        evidence: JSON.stringify({ certificates: list.map((r) => ({ certSha256: r.certSha256, riskScore: r.score, level: r.level, degradationScore: r.degradationScore })), worst: worst.certSha256 }) });
    }
    const closed = closeCalmAlerts(ctx, rows.filter((r) => Math.round(r.score) < policy.alert.minRisk));
    const queued = enqueueActions(ctx, proposals, version.id, policy, sha);
    ctx.store.audit.append({
      actor: ctx.operator, role: ctx.role ?? null, action: 'risk.score', inputs: { policy }, outcome: 'ok',
      details: { modelVersion: version.id, windowStart, windowEnd, series: rows.length, hosts: byHost.size, levels, actionsAdded: queued.added.length, autoApproved: queued.autoApproved, alertsClosed: closed, policySha256: sha },
    }, ctx.now());
    return { ...queued, closed };
  });
  timings.policyAndWrite = performance.now() - t;
  timings.total = performance.now() - t0;
  for (const k of Object.keys(timings) as (keyof typeof timings)[]) timings[k] = Math.round(timings[k]) / 1000;
  return { modelVersion: version.id, computedAt, windowStart, windowEnd, series: rows.length, hosts: byHost.size, levels, actionsAdded: result.added, actionsAutoApproved: result.autoApproved, alertsClosed: result.closed, timings };
}

/** Scores the series on worker threads, results in the series' order. */
function scoreOnThreads(ctx: OperationContext, refs: SeriesRef[], model: { modelVersion: number; params: DetectorParams; model: Uint8Array }, window: ScoringWindow, timings: SeriesTimings, threads: number): ScoredRow[] {
  const rows: ScoredRow[] = [];
  for (const reply of inSeriesOrder<ScoringReply>(refs, threads, (slice) => ({ kind: 'score', home: ctx.store.home, refs: slice, ...model, window }))) {
    for (const r of reply.rows) rows.push(r);
    timings.features += reply.timings.features;
    timings.detectors += reply.timings.detectors;
    timings.degradation += reply.timings.degradation;
  }
  return rows;
}

/** The policy's emergency issuer may be used only when configured, approved, active and unexpired. */
function emergencyIssuer(ctx: OperationContext, policy: RiskPolicy, now: number): EmergencyIssuerState {
  const issuer = policy.emergencyCertificate.issuer;
  if (!issuer) return { usable: false, why: 'no emergency issuer configured in the policy' };
  const ca = ctx.store.db.prepare('SELECT status, not_after AS notAfter FROM cas WHERE id = ?').get(issuer.caId) as { status: string; notAfter: string | null } | undefined;
  if (!ca) throw new ColdrootError('POLICY_EMERGENCY_CA_UNKNOWN', `Risk policy names emergency issuer '${issuer.caId}', which is not a CA of this home`, 'Fix emergencyCertificate.issuer.caId (list CAs with: coldroot ca list), or remove the issuer');
  if (ca.status !== 'active' || !ca.notAfter || Date.parse(ca.notAfter) <= now) return { usable: false, why: `CA '${issuer.caId}' is not active and valid` };
  return { usable: true, why: `CA '${issuer.caId}' (approved by ${issuer.approvedBy} at ${issuer.approvedAt})` };
}

export { riskLevel };
