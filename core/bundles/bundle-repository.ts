import type Database from 'better-sqlite3';
import type { MetricRow } from './payloads/metrics-validate.js';
import type { CheckedRenewalRequest } from './payloads/renewal-request.js';
import type { RiskReport } from './payloads/risk-report.js';

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
    const insert = this.stmt('INSERT INTO metric_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
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
