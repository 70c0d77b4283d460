import type { Database } from 'better-sqlite3';
import { ColdrootError } from '../errors.js';

export const CERTIFICATE_SORTS = ['notAfter', 'issuedAt', 'subject', 'serial'] as const;
export type CertificateSort = (typeof CERTIFICATE_SORTS)[number];
export const CERTIFICATE_STATES = ['valid', 'expired', 'revoked'] as const;
export type CertificateState = (typeof CERTIFICATE_STATES)[number];
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
export type RiskLevel = (typeof RISK_LEVELS)[number];

export interface CertificateQuery {
  /** Words of a subject or SAN (each a prefix), the start of a serial (8+ hex digits), or a SHA-256 fingerprint. */
  text?: string;
  caId?: string;
  /** Words of the issuing CA's name. */
  issuer?: string;
  state?: CertificateState;
  profile?: string;
  /** At least this level in the certificate's latest risk report. */
  risk?: RiskLevel;
  /** ISO times bounding notAfter. */
  expiresAfter?: string;
  expiresBefore?: string;
  sort?: CertificateSort;
  order?: 'asc' | 'desc';
  offset?: number;
  limit?: number;
}

export interface CertificateRow {
  caId: string;
  issuer: string;
  serial: string;
  subject: string;
  sans: string[];
  profile: string;
  notBefore: string;
  notAfter: string;
  issuedAt: string;
  state: CertificateState;
  revokedAt: string | null;
  revocationReason: string | null;
  fingerprintSha256: string;
  risk: { level: string; score: number; computedAt: string } | null;
}

export interface CertificatePage {
  total: number;
  offset: number;
  rows: CertificateRow[];
  /** Milliseconds spent in SQLite for this page and its count. */
  tookMs: number;
}

const SORT: Record<CertificateSort, { column: string; index: string }> = {
  notAfter: { column: 'c.not_after', index: 'certificates_browse_not_after' },
  issuedAt: { column: 'c.issued_at', index: 'certificates_browse_issued_at' },
  subject: { column: 'c.subject COLLATE NOCASE', index: 'certificates_browse_subject' },
  serial: { column: 'c.serial', index: 'certificates_browse_serial' },
};
export const MAX_PAGE = 500;
/** Below this many matches, reading the matches and sorting them beats walking a sort index. */
export const FEW_MATCHES = 20_000;

/**
 * FTS5 query text. Words separated by spaces must all occur; within a word, punctuation-separated
 * parts are a phrase whose last part is a prefix, so 'web-01.ams' finds web-0100.ams.fleet.example.
 */
export function searchExpression(text: string): string | null {
  const groups = text.toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '').split(/\s+/)
    .map((g) => g.split(/[^\p{L}\p{N}]+/u).filter(Boolean)).filter((g) => g.length);
  return groups.length ? groups.map((g) => `"${g.join(' ')}"*`).join(' ') : null;
}

interface Built { where: string[]; args: unknown[]; match: string | null; filters: number }

function build(db: Database, q: CertificateQuery, now: Date): Built {
  const where: string[] = [];
  const args: unknown[] = [];
  let match: string | null = null;
  const text = q.text?.trim() ?? '';
  if (text) {
    const hex = text.toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
    if (/^[0-9a-f]{64}$/.test(hex)) {
      where.push('(c.fingerprint_sha256 = ? OR c.serial = ?)');
      args.push(hex, hex.replace(/^0+(?=.)/, ''));
    } else if (/^[0-9a-f]{8,63}$/.test(hex)) {
      // Eight or more hex digits: the start of a serial number (serials are kept without leading zeros).
      const prefix = hex.replace(/^0+(?=.)/, '');
      where.push('c.serial >= ? AND c.serial < ?');
      args.push(prefix, `${prefix}g`);
    } else {
      match = searchExpression(text);
      if (!match) throw new ColdrootError('SEARCH_INVALID', `Search '${text}' has no letters or digits`, 'Search for words of a subject or SAN, the start of a serial (8+ hex digits), or a SHA-256 fingerprint');
    }
  }
  if (q.caId) {
    where.push('c.ca_id = ?');
    args.push(q.caId);
  }
  if (q.issuer?.trim()) {
    const words = q.issuer.trim().toLowerCase().split(/\s+/);
    const ids = (db.prepare('SELECT id, name FROM cas').all() as { id: string; name: string }[])
      .filter((ca) => words.every((w) => ca.name.toLowerCase().includes(w) || ca.id.includes(w))).map((ca) => ca.id);
    where.push(`c.ca_id IN (${ids.map(() => '?').join(', ') || 'NULL'})`);
    args.push(...ids);
  }
  const nowIso = now.toISOString();
  if (q.state === 'revoked') where.push("c.status = 'revoked'");
  if (q.state === 'valid') {
    where.push("c.status = 'good' AND c.not_after >= ?");
    args.push(nowIso);
  }
  if (q.state === 'expired') {
    where.push("c.status = 'good' AND c.not_after < ?");
    args.push(nowIso);
  }
  if (q.profile) {
    where.push('c.profile = ?');
    args.push(q.profile);
  }
  for (const [bound, op] of [[q.expiresAfter, '>='], [q.expiresBefore, '<']] as const) {
    if (bound === undefined || bound === '') continue;
    const d = new Date(bound);
    if (Number.isNaN(d.getTime())) throw new ColdrootError('FILTER_INVALID', `Expiry bound '${bound}' is not a date`, 'Give an ISO date such as 2026-12-31');
    where.push(`c.not_after ${op} ?`);
    args.push(d.toISOString());
  }
  if (q.risk) {
    const levels = RISK_LEVELS.slice(RISK_LEVELS.indexOf(q.risk));
    where.push(`c.fingerprint_sha256 IN (SELECT r.cert_sha256 FROM risk_reports r WHERE r.level IN (${levels.map(() => '?').join(', ')})
      AND r.computed_at = (SELECT max(r2.computed_at) FROM risk_reports r2 WHERE r2.cert_sha256 = r.cert_sha256))`);
    args.push(...levels);
  }
  const filters = [q.caId, q.issuer?.trim(), q.state, q.profile, q.expiresAfter || q.expiresBefore, !match && text].filter(Boolean).length;
  return { where, args, match, filters };
}

interface Row {
  ca_id: string; issuer: string; serial: string; subject: string; sans: string; profile: string; not_before: string; not_after: string; issued_at: string;
  status: 'good' | 'revoked'; revoked_at: string | null; revocation_reason: string | null; fingerprint_sha256: string;
}

const COLUMNS = `c.rowid AS rowid, c.ca_id, ca.name AS issuer, c.serial, c.subject, c.sans, c.profile, c.not_before, c.not_after, c.issued_at, c.status,
  c.revoked_at, c.revocation_reason, c.fingerprint_sha256`;
const count = (db: Database, sql: string, args: unknown[]) => (db.prepare(sql).get(...args) as { n: number }).n;

/**
 * One page of the inventory, filtered, searched and sorted in SQLite, with the number of matches.
 * Few matches (a search for a host, a rare profile) are read through their own index and sorted;
 * many are paged by walking the sort's covering index (migration 005), which also holds status, CA
 * and profile, so even a page deep in a filtered list is read from the index alone.
 */
export function queryCertificates(db: Database, q: CertificateQuery, now: Date = new Date(), fewMatches = FEW_MATCHES): CertificatePage {
  const t0 = performance.now();
  const limit = q.limit ?? 100;
  const offset = q.offset ?? 0;
  if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE || !Number.isSafeInteger(offset) || offset < 0) {
    throw new ColdrootError('PAGE_INVALID', `limit ${limit} / offset ${offset} is out of range`, `Ask for 1 to ${MAX_PAGE} rows from an offset of 0 or more`);
  }
  const { where, args, match, filters } = build(db, q, now);
  const sort = SORT[q.sort ?? 'notAfter'];
  const order = `ORDER BY ${sort.column} ${q.order === 'desc' ? 'DESC' : 'ASC'}, c.rowid`;
  const cond = where.length ? where.join(' AND ') : '1';
  const walkSortIndex = `certificates c INDEXED BY ${sort.index}`;
  let total: number;
  let ids: number[];
  if (match) {
    const matches = count(db, 'SELECT count(*) AS n FROM certificate_search WHERE certificate_search MATCH ?', [match]);
    if (matches <= fewMatches) {
      // CROSS JOIN: drive from the few matches instead of walking a sort index.
      const from = 'certificate_search s CROSS JOIN certificates c ON c.rowid = s.rowid';
      total = where.length ? count(db, `SELECT count(*) AS n FROM ${from} WHERE s.certificate_search MATCH ? AND ${cond}`, [match, ...args]) : matches;
      ids = db.prepare(`SELECT c.rowid FROM ${from} WHERE s.certificate_search MATCH ? AND ${cond} ${order} LIMIT ? OFFSET ?`).pluck().all(match, ...args, limit, offset) as number[];
    } else {
      const inMatch = 'c.rowid IN (SELECT rowid FROM certificate_search WHERE certificate_search MATCH ?)';
      total = where.length ? count(db, `SELECT count(*) AS n FROM certificates c INDEXED BY certificates_browse_not_after WHERE ${inMatch} AND ${cond}`, [match, ...args]) : matches;
      ids = db.prepare(`SELECT c.rowid FROM ${walkSortIndex} WHERE ${inMatch} AND ${cond} ${order} LIMIT ? OFFSET ?`).pluck().all(match, ...args, limit, offset) as number[];
    }
  } else {
    // One filter has an index that answers its count; several are counted over a covering index.
    const counted = filters > 1 && !q.risk ? 'certificates c INDEXED BY certificates_browse_not_after' : 'certificates c';
    total = count(db, `SELECT count(*) AS n FROM ${counted} WHERE ${cond}`, args);
    const from = (total <= fewMatches && filters <= 1) || q.risk ? 'certificates c' : walkSortIndex;
    ids = total === 0 ? [] : db.prepare(`SELECT c.rowid FROM ${from} WHERE ${cond} ${order} LIMIT ? OFFSET ?`).pluck().all(...args, limit, offset) as number[];
  }
  const byId = new Map((db.prepare(`SELECT ${COLUMNS} FROM certificates c JOIN cas ca ON ca.id = c.ca_id WHERE c.rowid IN (${ids.map(() => '?').join(', ') || 'NULL'})`)
    .all(...ids) as Array<Row & { rowid: number }>).map((r) => [r.rowid, r]));
  const rows = ids.map((id) => byId.get(id)!);
  const risks = latestRisk(db, rows.map((r) => r.fingerprint_sha256));
  const nowIso = now.toISOString();
  return {
    total,
    offset,
    tookMs: Math.round((performance.now() - t0) * 10) / 10,
    rows: rows.map((r) => ({
      caId: r.ca_id, issuer: r.issuer, serial: r.serial, subject: r.subject, sans: JSON.parse(r.sans) as string[], profile: r.profile,
      notBefore: r.not_before, notAfter: r.not_after, issuedAt: r.issued_at,
      state: r.status === 'revoked' ? 'revoked' : r.not_after < nowIso ? 'expired' : 'valid',
      revokedAt: r.revoked_at, revocationReason: r.revocation_reason, fingerprintSha256: r.fingerprint_sha256, risk: risks.get(r.fingerprint_sha256) ?? null,
    })),
  };
}

/**
 * The latest risk of each of a page's certificates (indexed lookups per row): the newer of the
 * agent's latest risk report and the console's own score (certificate_risk, core/models).
 */
function latestRisk(db: Database, fingerprints: string[]): Map<string, { level: string; score: number; computedAt: string }> {
  const out = new Map<string, { level: string; score: number; computedAt: string }>();
  if (!fingerprints.length) return out;
  const stmt = db.prepare('SELECT level, score, computed_at AS computedAt FROM risk_reports WHERE cert_sha256 = ? ORDER BY computed_at DESC LIMIT 1');
  const scored = db.prepare('SELECT level, risk_score AS score, updated_at AS computedAt FROM certificate_risk WHERE cert_sha256 = ?');
  for (const f of fingerprints) {
    const a = stmt.get(f) as { level: string; score: number; computedAt: string } | undefined;
    const b = scored.get(f) as { level: string; score: number; computedAt: string } | undefined;
    const r = a && b ? (b.computedAt >= a.computedAt ? b : a) : a ?? b;
    if (r) out.set(f, r);
  }
  return out;
}
