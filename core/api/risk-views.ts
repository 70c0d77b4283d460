import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError } from '../errors.js';
import { FEATURES } from '../models/features/feature-set.js';
import { readSeriesWindows, WINDOW_SECONDS, type SeriesRef } from '../models/features/hourly-features.js';
import { loadDetector } from '../models/model-registry.js';
import { ALARM_COMBINED, ALARM_FOREST, ALARM_STAT } from '../models/risk-detector.js';
import type { RiskRow } from '../models/risk-queries.js';
import type { QueuedAction } from '../policy/action-queue.js';

/**
 * The console's views over the risk tables: one page of the latest scores (filter, sort, page in
 * SQLite), a host's or certificate's hourly metrics with the detectors' anomaly markers, and the
 * queue's one-line evidence summary. Reads only; the writes are core's (scoreFleet, decideAction).
 */

export interface RiskPageQuery {
  subject: 'host' | 'certificate';
  minScore: number;
  levels?: string[];
  search?: string;
  sort: 'risk' | 'degradation' | 'lastAnomaly' | 'predicted' | 'host';
  order: 'asc' | 'desc';
  offset: number;
  limit: number;
}

/** A latest score as core's risk queries describe it, with the certificate it concerns (no evidence: the page stays small). */
export interface RiskPageRow extends Omit<RiskRow, 'scoreId' | 'level' | 'evidence'> {
  serial: string | null;
  caId: string | null;
  certSubject: string | null;
  level: 'low' | 'medium' | 'high' | 'critical';
}

const SORT_SQL: Record<RiskPageQuery['sort'], string> = {
  risk: 'r.risk_score', degradation: 'r.degradation_score', lastAnomaly: 'r.last_anomaly_at', predicted: 'r.predicted_degradation_at', host: 'r.host',
};

/**
 * The latest score of each certificate (certificate_risk points at it) or each host (the newest
 * host row), filtered, sorted and paged in SQLite. NULL dates sort last either way.
 */
export function riskPage(ctx: OperationContext, q: RiskPageQuery): { total: number; rows: RiskPageRow[] } {
  const from = q.subject === 'certificate'
    ? `certificate_risk cr JOIN risk_scores r ON r.id = cr.score_id LEFT JOIN certificates c ON c.fingerprint_sha256 = cr.cert_sha256`
    : `risk_scores r LEFT JOIN certificates c ON 0`; // hosts have no certificate columns: the join only keeps the SELECT list shared
  const where: string[] = q.subject === 'host' ? ["r.id IN (SELECT max(id) FROM risk_scores WHERE subject = 'host' GROUP BY host)"] : [];
  const args: unknown[] = [];
  where.push('r.risk_score >= ?');
  args.push(q.minScore);
  if (q.levels?.length) {
    where.push(`r.level IN (${q.levels.map(() => '?').join(', ')})`);
    args.push(...q.levels);
  }
  const search = q.search?.trim().toLowerCase();
  if (search) {
    const like = `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    where.push(q.subject === 'certificate'
      ? "(lower(r.host) LIKE ? ESCAPE '\\' OR r.cert_sha256 LIKE ? ESCAPE '\\' OR lower(c.serial) LIKE ? ESCAPE '\\' OR lower(c.subject) LIKE ? ESCAPE '\\')"
      : "lower(r.host) LIKE ? ESCAPE '\\'");
    args.push(...(q.subject === 'certificate' ? [like, like, like, like] : [like]));
  }
  const sql = `FROM ${from} WHERE ${where.join(' AND ')}`;
  const db = ctx.store.db;
  const total = db.prepare(`SELECT count(*) ${sql}`).pluck().get(...args) as number;
  const dir = q.order === 'asc' ? 'ASC' : 'DESC';
  const key = SORT_SQL[q.sort];
  const rows = db.prepare(`SELECT r.subject, r.host, r.cert_sha256 AS certSha256, c.serial, c.ca_id AS caId, c.subject AS certSubject, r.risk_score AS riskScore, r.level,
      r.anomaly_windows AS anomalyWindows, r.first_anomaly_at AS firstAnomalyAt, r.last_anomaly_at AS lastAnomalyAt, r.degradation_score AS degradationScore,
      r.predicted_degradation_at AS predictedDegradationAt, r.model_version AS modelVersion, r.computed_at AS computedAt, r.window_start AS windowStart, r.window_end AS windowEnd
    ${sql} ORDER BY ${key} IS NULL, ${key} ${dir}, r.risk_score DESC, r.host, r.cert_sha256 LIMIT ? OFFSET ?`).all(...args, q.limit, q.offset) as RiskPageRow[];
  return { total, rows };
}

export interface MetricPoint {
  t: string;
  handshakes: number;
  failurePct: number;
  p95Ms: number | null;
  cpuPct: number;
  newClients: number;
}

export interface AnomalyMarker {
  t: string;
  certSha256: string;
  detector: 'statistical' | 'forest' | 'both';
  feature: string | null;
  z: number;
}

export interface MetricSeriesView {
  host: string;
  certSha256: string | null;
  from: string;
  to: string;
  points: MetricPoint[];
  anomalies: AnomalyMarker[];
  modelVersion: number | null;
}

const DAY_MS = 86_400_000;
const HOUR_MS = WINDOW_SECONDS * 1000;

/**
 * Hourly points summed over the host's series (or one certificate's), aggregated by SQLite along
 * the (series_id, t) index, so a month of one host reads a few hundred rows whatever the home's
 * size. Markers are the windows the newest model's combined detector alarms on, judged as scoring
 * judges them (seasonal baselines of the days before `from`).
 */
export function metricSeries(ctx: OperationContext, input: { host: string; certSha256?: string; from?: string; to?: string }): MetricSeriesView {
  const db = ctx.store.db;
  const series = (input.certSha256
    ? db.prepare('SELECT id AS seriesId, host, cert_sha256 AS certSha256 FROM metric_series WHERE host = ? AND cert_sha256 = ?').all(input.host, input.certSha256)
    : db.prepare('SELECT id AS seriesId, host, cert_sha256 AS certSha256 FROM metric_series WHERE host = ? ORDER BY cert_sha256').all(input.host)) as SeriesRef[];
  if (!series.length) {
    throw new ColdrootError('METRICS_NOT_FOUND', `No metrics imported for host '${input.host}'${input.certSha256 ? ` and certificate ${input.certSha256}` : ''}`,
      'Pick a host from the risk table, or import its metrics bundles first');
  }
  const ids = series.map((s) => s.seriesId);
  const inIds = ids.map(() => '?').join(', ');
  const newest = db.prepare(`SELECT max(t) FROM metric_samples WHERE series_id IN (${inIds})`).pluck().get(...ids) as number | null;
  const end = input.to ? Date.parse(input.to) : newest === null ? Math.ceil(ctx.now().getTime() / HOUR_MS) * HOUR_MS : (Math.floor(newest / WINDOW_SECONDS) + 1) * HOUR_MS;
  const start = input.from ? Date.parse(input.from) : end - 7 * DAY_MS;
  const rows = db.prepare(`SELECT (t / ${WINDOW_SECONDS}) * ${WINDOW_SECONDS} AS hour, sum(hs_attempted) AS attempted, sum(hs_failed) AS failed, max(hs_p95_ms) AS p95,
      avg(cpu_pct) AS cpu, sum(client_ips_new) AS newClients
    FROM metric_samples WHERE series_id IN (${inIds}) AND t >= ? AND t < ? GROUP BY hour ORDER BY hour`)
    .all(...ids, Math.floor(start / 1000), Math.ceil(end / 1000)) as Array<{ hour: number; attempted: number; failed: number; p95: number | null; cpu: number; newClients: number }>;
  const points = rows.map((r) => ({
    t: new Date(r.hour * 1000).toISOString(), handshakes: r.attempted, failurePct: r.attempted ? Math.round((1e4 * r.failed) / r.attempted) / 100 : 0,
    p95Ms: r.p95 === null ? null : Math.round(r.p95 * 10) / 10, cpuPct: Math.round(r.cpu * 10) / 10, newClients: r.newClients,
  }));

  let modelVersion: number | null = null;
  const anomalies: AnomalyMarker[] = [];
  if (db.prepare('SELECT 1 FROM model_versions LIMIT 1').get()) {
    const { version, detector } = loadDetector(ctx);
    modelVersion = version.id;
    const readFrom = start - HOUR_MS - detector.params.baselineDays * DAY_MS;
    for (const ref of series) {
      const a = detector.assess(readSeriesWindows(db, ref, readFrom, end), start, end);
      const times = a.residuals.times;
      for (let i = 0; i < times.length; i++) {
        if (!(a.alarms[i] & ALARM_COMBINED)) continue;
        const both = (a.alarms[i] & (ALARM_STAT | ALARM_FOREST)) === (ALARM_STAT | ALARM_FOREST);
        anomalies.push({
          t: new Date(times[i]).toISOString(), certSha256: ref.certSha256, detector: both ? 'both' : a.alarms[i] & ALARM_STAT ? 'statistical' : 'forest',
          feature: a.statFeature[i] >= 0 ? FEATURES[a.statFeature[i]].name : null, z: Math.round(a.stat[i] * 100) / 100,
        });
      }
    }
    anomalies.sort((x, y) => x.t.localeCompare(y.t) || x.certSha256.localeCompare(y.certSha256));
  }
  return { host: input.host, certSha256: input.certSha256 ?? null, from: new Date(start).toISOString(), to: new Date(end).toISOString(), points, anomalies, modelVersion };
}

/** A queued action with its score and strongest features in one line (the evidence JSON stays in core's audit entry). */
export function actionView(a: QueuedAction): QueuedAction & { riskScore: number | null; level: string | null; evidenceSummary: string } {
  const ev = (a.evidence ?? {}) as { riskScore?: number; level?: string; degradationScore?: number; predictedDegradationAt?: string | null; features?: Array<{ feature: string; value: number; expected: number; z: number; since: string }> };
  const parts = (ev.features ?? []).slice(0, 3).map((f) => `${f.feature} ${+f.value.toPrecision(3)} vs ${+f.expected.toPrecision(3)} expected (z ${f.z}) since ${f.since.slice(0, 16).replace('T', ' ')}Z`);
  if (a.action === 'predictive-renewal' && ev.predictedDegradationAt) parts.unshift(`degradation ${ev.degradationScore ?? '?'} predicted for ${ev.predictedDegradationAt.slice(0, 10)}`);
  return { ...a, riskScore: typeof ev.riskScore === 'number' ? ev.riskScore : null, level: ev.level ?? null, evidenceSummary: parts.join('; ') || a.reason };
}

