import type { Database, Statement } from 'better-sqlite3';
import { ColdrootError } from '../errors.js';

export type RevocationReason =
  | 'unspecified' | 'keyCompromise' | 'cACompromise' | 'affiliationChanged' | 'superseded'
  | 'cessationOfOperation' | 'certificateHold' | 'privilegeWithdrawn' | 'aACompromise';

export interface CertificateRecord {
  caId: string;
  serial: string;
  profile: string;
  subject: string;
  sans: string[];
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  der: Uint8Array;
  status: 'good' | 'revoked';
  revokedAt: string | null;
  revocationReason: RevocationReason | null;
  issuedAt: string;
}

interface Row {
  ca_id: string; serial: string; profile: string; subject: string; sans: string; not_before: string; not_after: string;
  fingerprint_sha256: string; der: Buffer; status: 'good' | 'revoked'; revoked_at: string | null; revocation_reason: RevocationReason | null; issued_at: string;
}

function fromRow(r: Row): CertificateRecord {
  return {
    caId: r.ca_id, serial: r.serial, profile: r.profile, subject: r.subject, sans: JSON.parse(r.sans), notBefore: r.not_before,
    notAfter: r.not_after, fingerprintSha256: r.fingerprint_sha256, der: new Uint8Array(r.der), status: r.status,
    revokedAt: r.revoked_at, revocationReason: r.revocation_reason, issuedAt: r.issued_at,
  };
}

// Batch issuance runs these once per certificate: prepare each statement once per connection.
const statements = new WeakMap<Database, Map<string, Statement>>();
function cached(db: Database, sql: string): Statement {
  let m = statements.get(db);
  if (!m) statements.set(db, (m = new Map()));
  let st = m.get(sql);
  if (!st) m.set(sql, (st = db.prepare(sql)));
  return st;
}

export function serialExists(db: Database, caId: string, serial: string): boolean {
  return !!cached(db, 'SELECT 1 FROM certificates WHERE ca_id = ? AND serial = ?').get(caId, serial);
}

export function insertCertificate(db: Database, c: CertificateRecord): void {
  cached(db, `INSERT INTO certificates (ca_id, serial, profile, subject, sans, not_before, not_after, fingerprint_sha256, der, status, revoked_at, revocation_reason, issued_at)
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(
    c.caId, c.serial, c.profile, c.subject, JSON.stringify(c.sans), c.notBefore, c.notAfter, c.fingerprintSha256, Buffer.from(c.der),
    c.status, c.revokedAt, c.revocationReason, c.issuedAt,
  );
}

/**
 * Stores a batch's certificates chunk by chunk inside the caller's transaction and indexes them for
 * search in one statement at the end (migration 10: the insert trigger stands aside meanwhile).
 * Each chunk goes in serial order, so the primary key and serial indexes grow in runs. The caller
 * holds the write lock from the writer's creation to `finish`, so the rows added meanwhile are all the batch's.
 */
export class CertificateBulkWriter {
  readonly #db: Database;
  readonly #last: number;

  constructor(db: Database) {
    if (!db.inTransaction) throw new Error('CertificateBulkWriter must run inside a transaction');
    this.#db = db;
    this.#last = cached(db, 'SELECT coalesce(max(rowid), 0) FROM certificates').pluck().get() as number;
    cached(db, 'INSERT INTO certificate_search_deferred (one) VALUES (1)').run();
  }

  add(records: CertificateRecord[]): void {
    for (const c of [...records].sort((a, b) => (a.serial < b.serial ? -1 : a.serial > b.serial ? 1 : 0))) insertCertificate(this.#db, c);
  }

  finish(): void {
    cached(this.#db, 'INSERT INTO certificate_search (rowid, subject, sans) SELECT rowid, subject, sans FROM certificates WHERE rowid > ?').run(this.#last);
    cached(this.#db, 'DELETE FROM certificate_search_deferred').run();
  }
}

/** Which of these serials (lowercase hex) the CA has already used: one statement for a whole batch. */
export function usedSerials(db: Database, caId: string, serials: string[]): Set<string> {
  const sql = 'SELECT value FROM json_each(?) WHERE EXISTS (SELECT 1 FROM certificates WHERE ca_id = ? AND serial = value)';
  return new Set(cached(db, sql).pluck().all(JSON.stringify(serials), caId) as string[]);
}

export function getCertificate(db: Database, caId: string, serial: string): CertificateRecord {
  const row = db.prepare('SELECT * FROM certificates WHERE ca_id = ? AND serial = ?').get(caId, serial) as Row | undefined;
  if (!row) {
    throw new ColdrootError('UNKNOWN_SERIAL', `CA '${caId}' has issued no certificate with serial ${serial}`, `List its certificates with: coldroot cert list --ca ${caId}`);
  }
  return fromRow(row);
}

export function markRevoked(db: Database, caId: string, serial: string, at: string, reason: RevocationReason): void {
  db.prepare("UPDATE certificates SET status = 'revoked', revoked_at = ?, revocation_reason = ? WHERE ca_id = ? AND serial = ? AND status = 'good'").run(at, reason, caId, serial);
}

export function listCertificates(db: Database, caId: string, opts: { limit?: number; offset?: number } = {}): CertificateRecord[] {
  return (db.prepare('SELECT * FROM certificates WHERE ca_id = ? ORDER BY issued_at, serial LIMIT ? OFFSET ?').all(caId, opts.limit ?? -1, opts.offset ?? 0) as Row[]).map(fromRow);
}

export interface CertificateStatusRow { serial: string; status: 'good' | 'revoked'; revokedAt: string | null; reason: RevocationReason | null; notAfter: string }

/** One page of a CA's certificate statuses in serial order, after `afterSerial` (keyset paging: nothing held open). */
export function statusPage(db: Database, caId: string, afterSerial: string, limit: number): CertificateStatusRow[] {
  return db.prepare('SELECT serial, status, revoked_at AS revokedAt, revocation_reason AS reason, not_after AS notAfter FROM certificates WHERE ca_id = ? AND serial > ? ORDER BY serial LIMIT ?').all(caId, afterSerial, limit) as CertificateStatusRow[];
}

export function* iterateRevoked(db: Database, caId: string): Generator<{ serial: string; revokedAt: string; reason: RevocationReason }> {
  const stmt = db.prepare("SELECT serial, revoked_at AS revokedAt, revocation_reason AS reason FROM certificates WHERE ca_id = ? AND status = 'revoked' ORDER BY serial");
  yield* stmt.iterate(caId) as Iterable<{ serial: string; revokedAt: string; reason: RevocationReason }>;
}
