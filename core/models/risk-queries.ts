import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError } from '../errors.js';

/** Reading the stored scores: the latest per host, one subject explained, and the status export. */

export interface RiskRow {
  scoreId: number;
  subject: 'host' | 'certificate';
  host: string;
  certSha256: string | null;
  riskScore: number;
  level: string;
  anomalyWindows: number;
  firstAnomalyAt: string | null;
  lastAnomalyAt: string | null;
  degradationScore: number;
  predictedDegradationAt: string | null;
  modelVersion: number;
  computedAt: string;
  windowStart: string;
  windowEnd: string;
  evidence: unknown;
}

const SELECT = `SELECT id AS scoreId, subject, host, cert_sha256 AS certSha256, risk_score AS riskScore, level, anomaly_windows AS anomalyWindows,
  first_anomaly_at AS firstAnomalyAt, last_anomaly_at AS lastAnomalyAt, degradation_score AS degradationScore, predicted_degradation_at AS predictedDegradationAt,
  model_version AS modelVersion, computed_at AS computedAt, window_start AS windowStart, window_end AS windowEnd, evidence FROM risk_scores`;
const parse = (r: RiskRow & { evidence: string }): RiskRow => ({ ...r, evidence: JSON.parse(r.evidence) });

export interface RiskListFilter {
  /** Only hosts with at least this risk score. */
  minScore?: number;
  limit?: number;
}

/** Each host's latest score, riskiest first. */
export function listRisk(ctx: OperationContext, f: RiskListFilter = {}): RiskRow[] {
  const min = f.minScore ?? 0;
  if (!(min >= 0 && min <= 100)) throw new ColdrootError('RISK_BAD_FILTER', `--min-score ${f.minScore} must be from 0 to 100`, 'Give a score such as --min-score 40');
  const rows = ctx.store.db.prepare(`${SELECT} r WHERE subject = 'host' AND id = (SELECT max(id) FROM risk_scores WHERE subject = 'host' AND host = r.host)
    AND risk_score >= ? ORDER BY risk_score DESC, degradation_score DESC, host LIMIT ?`).all(min, f.limit ?? 10_000) as Array<RiskRow & { evidence: string }>;
  return rows.map(parse);
}

export interface RiskExplanation {
  query: string;
  host: RiskRow | null;
  certificates: RiskRow[];
  openActions: Array<{ id: number; action: string; status: string; reason: string }>;
}

/** The latest scores of a host (and its certificates), or of the certificate with a serial or SHA-256 fingerprint. */
export function explainRisk(ctx: OperationContext, query: string): RiskExplanation {
  const db = ctx.store.db;
  const q = query.trim();
  const latestHost = db.prepare(`${SELECT} WHERE subject = 'host' AND host = ? ORDER BY id DESC LIMIT 1`);
  const latestCert = db.prepare(`${SELECT} WHERE subject = 'certificate' AND cert_sha256 = ? ORDER BY id DESC LIMIT 1`);
  let host = latestHost.get(q) as (RiskRow & { evidence: string }) | undefined;
  let certificates: Array<RiskRow & { evidence: string }> = [];
  if (host) {
    certificates = db.prepare(`${SELECT} WHERE subject = 'certificate' AND host = ? AND computed_at = ? ORDER BY risk_score DESC`).all(q, host.computedAt) as typeof certificates;
  } else {
    const hex = q.toLowerCase().replace(/^0x/, '').replace(/:/g, '');
    if (!/^[0-9a-f]+$/.test(hex)) throw notFound(q);
    const fingerprints = hex.length === 64
      ? [hex, ...(db.prepare('SELECT fingerprint_sha256 FROM certificates WHERE serial = ?').pluck().all(hex.replace(/^0+(?=.)/, '')) as string[])]
      : db.prepare('SELECT fingerprint_sha256 FROM certificates WHERE serial = ?').pluck().all(hex.replace(/^0+(?=.)/, '')) as string[];
    certificates = fingerprints.map((f) => latestCert.get(f) as (RiskRow & { evidence: string }) | undefined).filter((r): r is RiskRow & { evidence: string } => !!r);
    if (!certificates.length) throw notFound(q);
    host = latestHost.get(certificates[0].host) as (RiskRow & { evidence: string }) | undefined;
  }
  const hosts = [...new Set([host?.host, ...certificates.map((c) => c.host)].filter(Boolean))] as string[];
  const openActions = db.prepare(`SELECT id, action, status, reason FROM risk_actions WHERE host IN (${hosts.map(() => '?').join(', ') || 'NULL'}) AND status IN ('pending', 'approved') ORDER BY id`).all(...hosts) as RiskExplanation['openActions'];
  return { query: q, host: host ? parse(host) : null, certificates: certificates.map(parse), openActions };
}

function notFound(q: string): ColdrootError {
  return new ColdrootError('RISK_SUBJECT_NOT_FOUND', `No risk score for '${q}': it is neither a scored host nor the serial or SHA-256 of a scored certificate`,
    'List scored hosts with: coldroot risk list; score the fleet with: coldroot risk score');
}

export interface StatusRow {
  caId: string;
  serial: string;
  subject: string;
  profile: string;
  state: 'valid' | 'expired' | 'revoked';
  notAfter: string;
  fingerprintSha256: string;
  host: string | null;
  riskScore: number | null;
  riskLevel: string | null;
  lastAnomalyAt: string | null;
  degradationScore: number | null;
  predictedDegradationAt: string | null;
  /** When the certificate should be renewed: the earliest of its expiry less renewBeforeDays, predicted degradation less the lead, and an approved renewal (now). */
  renewBy: string;
  renewalReason: 'expiry' | 'predicted-degradation' | 'approved-action';
  openActions: string[];
}

export const STATUS_COLUMNS: readonly (keyof StatusRow)[] = ['caId', 'serial', 'subject', 'profile', 'state', 'notAfter', 'fingerprintSha256', 'host', 'riskScore', 'riskLevel',
  'lastAnomalyAt', 'degradationScore', 'predictedDegradationAt', 'renewBy', 'renewalReason', 'openActions'];

/** Every leaf certificate with its status, current risk and renewal schedule, streamed (a million certificates fit). */
export function* certificateStatus(ctx: OperationContext, o: { renewBeforeDays?: number; leadDays?: number } = {}): Generator<StatusRow> {
  const now = ctx.now();
  const nowIso = now.toISOString();
  const before = (o.renewBeforeDays ?? 30) * 86_400_000;
  const lead = (o.leadDays ?? 7) * 86_400_000;
  const actions = new Map<string, string[]>();
  for (const a of ctx.store.db.prepare("SELECT cert_sha256 AS c, host, action, status FROM risk_actions WHERE status IN ('pending', 'approved') AND cert_sha256 IS NOT NULL").all() as Array<{ c: string; action: string; status: string }>) {
    actions.set(a.c, [...(actions.get(a.c) ?? []), `${a.action}:${a.status}`]);
  }
  const rows = ctx.store.db.prepare(`SELECT c.ca_id AS caId, c.serial, c.subject, c.profile, c.status, c.not_after AS notAfter, c.fingerprint_sha256 AS fingerprintSha256,
      r.host, r.risk_score AS riskScore, r.level AS riskLevel, r.last_anomaly_at AS lastAnomalyAt, r.degradation_score AS degradationScore, r.predicted_degradation_at AS predictedDegradationAt
    FROM certificates c LEFT JOIN certificate_risk r ON r.cert_sha256 = c.fingerprint_sha256
    WHERE c.profile NOT IN ('root-ca', 'intermediate-ca', 'sub-ca') ORDER BY c.not_after, c.ca_id, c.serial`).iterate();
  for (const raw of rows) {
    const r = raw as Omit<StatusRow, 'state' | 'renewBy' | 'renewalReason' | 'openActions'> & { status: string };
    const open = actions.get(r.fingerprintSha256) ?? [];
    let renewBy = Date.parse(r.notAfter) - before;
    let renewalReason: StatusRow['renewalReason'] = 'expiry';
    if (r.predictedDegradationAt && Date.parse(r.predictedDegradationAt) - lead < renewBy) {
      renewBy = Date.parse(r.predictedDegradationAt) - lead;
      renewalReason = 'predicted-degradation';
    }
    if (open.some((a) => /renewal:approved|emergency-certificate:approved/.test(a))) {
      renewBy = Math.min(renewBy, now.getTime());
      renewalReason = 'approved-action';
    }
    const { status, ...rest } = r;
    yield {
      ...rest, state: status === 'revoked' ? 'revoked' : r.notAfter < nowIso ? 'expired' : 'valid',
      renewBy: new Date(renewBy).toISOString(), renewalReason, openActions: open,
    };
  }
}

/** One CSV field: quoted when it holds a comma, quote or line break. */
export function csvField(v: unknown): string {
  const s = v === null || v === undefined ? '' : Array.isArray(v) ? v.join(' ') : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
