import type Database from 'better-sqlite3';
import type { MetricRow } from './payloads/metrics-validate.js';
import type { CheckedRenewalRequest } from './payloads/renewal-request.js';
import type { RiskReport } from './payloads/risk-report.js';
import type { RolloutReport } from '../policy/canary/rollout-progress.js';

export interface StoredBundle {
  rowId: number;
  bundleId: string;
  direction: 'import' | 'export';
  type: string;
  producerSha256: string;
  producerSubject: string;
  sequence: number;
  createdAt: string;
  inReplyTo: string | null;
  manifestSha256: string;
  fileSha256: string | null;
  records: number;
  processedAt: string;
  operator: string;
}

export interface RenewalRequestSummary {
  requestId: string;
  bundleId: string;
  host: string;
  profile: string;
  reason: string;
  subject: string;
  proofKind: string;
  status: 'pending' | 'issued' | 'rejected';
  answeredIn: string | null;
  issuedSerial: string | null;
  rejectionCode: string | null;
  receivedAt: string;
}

export interface NewBundleRow {
  bundleId: string;
  direction: 'import' | 'export';
  type: string;
  formatVersion: number;
  producerSha256: string;
  producerSubject: string;
  producerCaId: string | null;
  producerSerial: string | null;
  sequence: number;
  createdAt: string;
  inReplyTo: string | null;
  manifest: Uint8Array;
  manifestSha256: string;
  signature: Uint8Array;
  processedAt: string;
  operator: string;
}

/** A rollout.json report as stored, with the bundle that carried it. */
export interface StoredRolloutProgress extends RolloutReport {
  reportedAt: string;
  bundleRowId: number;
}

interface RolloutProgressRow {
  host: string;
  plan_id: string;
  policy: string;
  state: RolloutReport['state'];
  exposure_percent: number;
  active_certificate: RolloutReport['activeCertificate'];
  old_cert_sha256: string;
  new_cert_sha256: string;
  started_at: string;
  last_change_at: string;
  finished_at: string | null;
  changes: string;
  last_decision: string | null;
  rollback_reason: string | null;
  reported_at: string;
  bundle_id: number;
}

const COLUMNS = `id AS rowId, bundle_id AS bundleId, direction, type, producer_sha256 AS producerSha256, producer_subject AS producerSubject, sequence,
  created_at AS createdAt, in_reply_to AS inReplyTo, manifest_sha256 AS manifestSha256, file_sha256 AS fileSha256, records, processed_at AS processedAt, operator`;

/** SQL over the bundle tables, on whichever connection the caller works (the import has its own). */
export class BundleRepository {
  private readonly seriesCache = new Map<string, number>();
  private stmts: Record<string, Database.Statement> = {};

  constructor(readonly db: Database.Database) {}

  private stmt(sql: string): Database.Statement {
    return (this.stmts[sql] ??= this.db.prepare(sql));
  }

  findByBundleId(bundleId: string): StoredBundle | null {
    return (this.stmt(`SELECT ${COLUMNS} FROM bundles WHERE bundle_id = ?`).get(bundleId) as StoredBundle | undefined) ?? null;
  }

  findBySequence(producerSha256: string, sequence: number): StoredBundle | null {
    return (this.stmt(`SELECT ${COLUMNS} FROM bundles WHERE producer_sha256 = ? AND sequence = ?`).get(producerSha256, sequence) as StoredBundle | undefined) ?? null;
  }

  /** The next sequence number for a producer (the console's own exports). */
  nextSequence(producerSha256: string): number {
    const r = this.stmt('SELECT max(sequence) AS s FROM bundles WHERE producer_sha256 = ?').get(producerSha256) as { s: number | null };
    return (r.s ?? 0) + 1;
  }

  insert(b: NewBundleRow): number {
    const r = this.stmt(`INSERT INTO bundles (bundle_id, direction, type, format_version, producer_sha256, producer_subject, producer_ca_id, producer_serial, sequence,
        created_at, in_reply_to, manifest, manifest_sha256, signature, processed_at, operator)
      VALUES (@bundleId, @direction, @type, @formatVersion, @producerSha256, @producerSubject, @producerCaId, @producerSerial, @sequence,
        @createdAt, @inReplyTo, @manifest, @manifestSha256, @signature, @processedAt, @operator)`).run({ ...b, manifest: Buffer.from(b.manifest), signature: Buffer.from(b.signature) });
    return Number(r.lastInsertRowid);
  }

  finish(rowId: number, fileSha256: string, fileSize: number, records: number): void {
    this.stmt('UPDATE bundles SET file_sha256 = ?, file_size = ?, records = ? WHERE id = ?').run(fileSha256, fileSize, records, rowId);
  }

  seriesId(host: string, cert: string): number {
    const key = `${host}\u0000${cert}`;
    const cached = this.seriesCache.get(key);
    if (cached !== undefined) return cached;
    this.stmt('INSERT INTO metric_series (host, cert_sha256) VALUES (?, ?) ON CONFLICT DO NOTHING').run(host, cert);
    const id = (this.stmt('SELECT id FROM metric_series WHERE host = ? AND cert_sha256 = ?').get(host, cert) as { id: number }).id;
    this.seriesCache.set(key, id);
    return id;
  }

  /** Binds a MetricRow (slot 0 = series id) to the sample INSERT, with slot 1 set to the bundle row. */
  sampleInserter(bundleRowId: number): (row: MetricRow) => void {
    const insert = this.stmt('INSERT INTO metric_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
    return (row) => {
      row[1] = bundleRowId;
      insert.run(row);
    };
  }

  insertRiskReports(bundleRowId: number, reports: RiskReport[]): void {
    const insert = this.stmt(`INSERT INTO risk_reports (bundle_id, host, cert_sha256, computed_at, window_start, window_end, model, score, level, anomalies)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    for (const r of reports) {
      insert.run(bundleRowId, r.host, r.cert, r.computedAt, r.window.from, r.window.to, `${r.model.name}@${r.model.version}`, r.score, r.level, JSON.stringify(r.anomalies));
    }
  }

  insertRenewalRequests(bundleRowId: number, requests: CheckedRenewalRequest[]): void {
    const insert = this.stmt(`INSERT INTO renewal_requests (bundle_id, request_id, host, profile, reason, detail, csr_der, subject, proof_kind, proof_certificate, proof_signature, proof_attestation)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    const blob = (b: Uint8Array | null) => (b ? Buffer.from(b) : null);
    for (const r of requests) {
      insert.run(bundleRowId, r.requestId, r.host, r.profile, r.reason, r.detail ?? null, Buffer.from(r.csrDer), r.subject, r.proof.kind,
        blob(r.proofCertificate), blob(r.proofSignature), blob(r.proofAttestation));
    }
  }

  /** A metrics bundle's rollout.json, one row per rollout; `reportedAt` is the bundle's creation time. */
  insertRolloutProgress(bundleRowId: number, reportedAt: string, reports: readonly RolloutReport[]): void {
    const insert = this.stmt(`INSERT INTO rollout_progress (bundle_id, host, plan_id, policy, state, exposure_percent, active_certificate, old_cert_sha256, new_cert_sha256,
        started_at, last_change_at, finished_at, changes, last_decision, rollback_reason, reported_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`);
    // One spelling of each time ('…:00Z' sorts after '…:00.500Z' as text), so SQL can order by them.
    const at = (t: string) => new Date(t).toISOString();
    for (const r of reports) {
      insert.run(bundleRowId, r.host, r.planId, r.policy, r.state, r.exposurePercent, r.activeCertificate, r.oldCertificate, r.newCertificate,
        at(r.startedAt), at(r.lastChangeAt), r.finishedAt === null ? null : at(r.finishedAt), JSON.stringify(r.changes), r.lastDecision ? JSON.stringify(r.lastDecision) : null,
        r.rollbackReason, at(reportedAt));
    }
  }

  /**
   * The newest stored report of each of the host's rollouts (plan ids), oldest rollout first.
   * Newest: the latest bundle creation time (bundles arrive in any order), then the latest change.
   */
  latestRolloutProgress(host: string): StoredRolloutProgress[] {
    const rows = this.stmt(`SELECT host, plan_id, policy, state, exposure_percent, active_certificate, old_cert_sha256, new_cert_sha256, started_at, last_change_at,
        finished_at, changes, last_decision, rollback_reason, reported_at, bundle_id
      FROM (SELECT p.*, row_number() OVER (PARTITION BY plan_id ORDER BY reported_at DESC, last_change_at DESC, id DESC) AS n FROM rollout_progress p WHERE host = ?)
      WHERE n = 1 ORDER BY started_at, plan_id`).all(host) as RolloutProgressRow[];
    return rows.map((r) => ({
      host: r.host, planId: r.plan_id, policy: r.policy, state: r.state, exposurePercent: r.exposure_percent, activeCertificate: r.active_certificate,
      oldCertificate: r.old_cert_sha256, newCertificate: r.new_cert_sha256, startedAt: r.started_at, lastChangeAt: r.last_change_at, finishedAt: r.finished_at,
      changes: JSON.parse(r.changes) as RolloutReport['changes'], lastDecision: r.last_decision === null ? null : JSON.parse(r.last_decision) as RolloutReport['lastDecision'],
      rollbackReason: r.rollback_reason, reportedAt: r.reported_at, bundleRowId: r.bundle_id,
    }));
  }

  /** Hosts with any stored rollout report. */
  rolloutProgressHosts(): string[] {
    return (this.stmt('SELECT DISTINCT host FROM rollout_progress ORDER BY host').all() as Array<{ host: string }>).map((r) => r.host);
  }

  renewalRequests(filter: { status?: RenewalRequestSummary['status']; limit?: number } = {}): RenewalRequestSummary[] {
    return this.db.prepare(`SELECT r.request_id AS requestId, b.bundle_id AS bundleId, r.host, r.profile, r.reason, r.subject, r.proof_kind AS proofKind, r.status,
        r.answered_in AS answeredIn, r.issued_serial AS issuedSerial, r.rejection_code AS rejectionCode, b.processed_at AS receivedAt
      FROM renewal_requests r JOIN bundles b ON b.id = r.bundle_id WHERE (@status IS NULL OR r.status = @status) ORDER BY r.id LIMIT @limit`).all({ status: filter.status ?? null, limit: filter.limit ?? 1000 }) as RenewalRequestSummary[];
  }

  list(filter: { type?: string; direction?: 'import' | 'export'; limit?: number } = {}): StoredBundle[] {
    return this.db.prepare(`SELECT ${COLUMNS} FROM bundles WHERE (@type IS NULL OR type = @type) AND (@direction IS NULL OR direction = @direction) ORDER BY id DESC LIMIT @limit`)
      .all({ type: filter.type ?? null, direction: filter.direction ?? null, limit: filter.limit ?? 100 }) as StoredBundle[];
  }
}
