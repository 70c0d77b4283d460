import { sign, type KeyObject } from 'node:crypto';
import type Database from 'better-sqlite3';
import { ColdrootError } from '../errors.js';
import { verifyChain, type StoredEntry } from './audit-chain.js';
import { exportHeader, writeAuditExport } from './audit-export.js';
import { entryHash, GENESIS_HASH, hashInputs, headMessage } from './audit-hash.js';
import { loadAuditPrivateKey, readAuditPublicKey, type AuditPublicKey } from './audit-key.js';
import type { AuditEntryInput, AuditHead, AuditListFilter, AuditRecord, AuditVerifyReport } from './audit-types.js';
import { canonicalJson } from './canonical-json.js';

const ACTION = /^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$/;
const ERROR_CODE = /^[A-Z][A-Z0-9_]*$/;
const MAX_DETAILS_BYTES = 16 * 1024;
const COLUMNS = 'seq, at, actor, role, action, inputs, outcome, details, prev_hash AS prevHash, hash, signature';

/**
 * The home's append-only audit trail. Each entry is hashed over its contents and the previous
 * entry's hash, signed with the home's Ed25519 audit key, and the signed head moves with it.
 * All synchronous, because it runs inside better-sqlite3 transactions.
 */
export class AuditLog {
  private privateKey: KeyObject | null = null;
  private readonly stmts: {
    last: Database.Statement;
    head: Database.Statement;
    insert: Database.Statement;
    putHead: Database.Statement;
  };

  constructor(
    readonly db: Database.Database,
    private readonly opts: { home: string; keysDir: string },
  ) {
    this.stmts = {
      last: db.prepare('SELECT seq, hash FROM audit_entries ORDER BY seq DESC LIMIT 1'),
      head: db.prepare('SELECT seq, hash, signature FROM audit_head WHERE id = 1'),
      insert: db.prepare(
        'INSERT INTO audit_entries (seq, at, actor, role, action, inputs, outcome, details, prev_hash, hash, signature) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      putHead: db.prepare(
        'INSERT INTO audit_head (id, seq, hash, signature) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, signature = excluded.signature',
      ),
    };
  }

  /**
   * Records one entry. Must run inside the caller's store.transaction(), so the state change and
   * its entry commit (or roll back) together.
   */
  append(entry: AuditEntryInput, at: Date): AuditRecord {
    if (!this.db.inTransaction) {
      throw new ColdrootError(
        'AUDIT_OUTSIDE_TRANSACTION',
        `Audit entry '${entry.action}' was appended outside a transaction`,
        'Call audit.append inside store.transaction(() => …) together with the change it records',
        'failure',
      );
    }
    const fields = validate(entry, at);
    const key = this.signingKey();
    const last = this.stmts.last.get() as { seq: number; hash: string } | undefined;
    const head = this.stmts.head.get() as AuditHead | undefined;
    // Appending onto a trail whose end was cut would re-sign the head and erase the evidence.
    if ((last?.seq ?? 0) !== (head?.seq ?? 0) || (last && head && last.hash !== head.hash)) {
      throw new ColdrootError(
        'AUDIT_CHAIN_BROKEN',
        `The audit trail ends at entry ${last?.seq ?? 0} but its signed head says ${head?.seq ?? 0}; nothing more is recorded until this is explained`,
        'Run: coldroot audit verify, and restore the home from a backup',
        'failure',
      );
    }
    const seq = (last?.seq ?? 0) + 1;
    const prevHash = last?.hash ?? GENESIS_HASH;
    const hash = entryHash({ ...fields, seq, prevHash });
    const signature = sign(null, Buffer.from(hash, 'hex'), key).toString('base64');
    this.stmts.insert.run(seq, fields.at, fields.actor, fields.role, fields.action, canonicalJson(fields.inputs), fields.outcome, canonicalJson(fields.details), prevHash, hash, signature);
    this.stmts.putHead.run(seq, hash, sign(null, headMessage(seq, hash), key).toString('base64'));
    return { ...fields, seq, prevHash, hash, signature };
  }

  /** Checks the whole trail; the report names the first entry that was edited, removed or reordered. */
  verify(): AuditVerifyReport {
    return this.db.transaction(() =>
      verifyChain({ head: this.head(), publicKey: this.publicKey(), entries: () => this.storedEntries() }),
    )();
  }

  /** Writes the trail with its signatures as JSON Lines; never overwrites `path`. */
  export(path: string): { path: string; entries: number; head: AuditHead | null } {
    return this.db.transaction(() => {
      const pub = this.publicKey();
      if (!pub) {
        throw new ColdrootError('AUDIT_KEY_MISSING', `The audit public key is missing from ${this.db.name}`, 'Restore the home from a backup', 'failure');
      }
      const head = this.head();
      const { entries } = writeAuditExport(path, exportHeader(this.opts.home, pub, head), this.storedEntries());
      return { path, entries, head };
    })();
  }

  list(filter: AuditListFilter = {}): AuditRecord[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.action !== undefined) {
      where.push('action = ?');
      args.push(filter.action);
    }
    if (filter.actor !== undefined) {
      where.push('actor = ?');
      args.push(filter.actor);
    }
    if (filter.since !== undefined) {
      const since = new Date(filter.since);
      if (Number.isNaN(since.getTime())) {
        throw new ColdrootError('AUDIT_FILTER_INVALID', `since '${filter.since}' is not a date`, 'Give an ISO date such as 2026-01-31 or 2026-01-31T12:00:00Z');
      }
      where.push('at >= ?');
      args.push(since.toISOString());
    }
    const limit = filter.limit ?? 100;
    const offset = filter.offset ?? 0;
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 10_000 || !Number.isSafeInteger(offset) || offset < 0) {
      throw new ColdrootError('AUDIT_FILTER_INVALID', `limit ${limit} / offset ${offset} is out of range`, 'Use a limit of 1 to 10000 and an offset of 0 or more');
    }
    const order = filter.order === 'desc' ? 'DESC' : 'ASC';
    const sql = `SELECT ${COLUMNS} FROM audit_entries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${order} LIMIT ? OFFSET ?`;
    return (this.db.prepare(sql).all(...args, limit, offset) as StoredEntry[]).map(toRecord);
  }

  get(seq: number): AuditRecord | null {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM audit_entries WHERE seq = ?`).get(seq) as StoredEntry | undefined;
    return row ? toRecord(row) : null;
  }

  head(): AuditHead | null {
    return (this.stmts.head.get() as AuditHead | undefined) ?? null;
  }

  publicKey(): AuditPublicKey | null {
    return readAuditPublicKey(this.db);
  }

  private *storedEntries(): Generator<StoredEntry> {
    yield* this.db.prepare(`SELECT ${COLUMNS} FROM audit_entries ORDER BY seq`).iterate() as IterableIterator<StoredEntry>;
  }

  private signingKey(): KeyObject {
    if (this.privateKey) return this.privateKey;
    const pub = this.publicKey();
    if (!pub) {
      throw new ColdrootError('AUDIT_KEY_MISSING', `The home ${this.opts.home} has no audit key recorded`, 'Create the home with: coldroot init --home DIR', 'failure');
    }
    this.privateKey = loadAuditPrivateKey(this.opts.keysDir, pub);
    return this.privateKey;
  }
}

type SealedFields = Omit<AuditRecord, 'seq' | 'prevHash' | 'hash' | 'signature'>;

function validate(entry: AuditEntryInput, at: Date): SealedFields {
  const bad = (what: string): never => {
    throw new ColdrootError('AUDIT_ENTRY_INVALID', `Audit entry '${entry.action}': ${what}`, 'Fix the caller that records this action', 'failure');
  };
  if (typeof entry.actor !== 'string' || entry.actor.trim() === '' || entry.actor.length > 256) bad(`actor ${JSON.stringify(entry.actor)} must be 1–256 characters`);
  if (typeof entry.action !== 'string' || !ACTION.test(entry.action)) bad(`action must look like 'ca.create-root'`);
  const role = entry.role ?? null;
  if (role !== null && (typeof role !== 'string' || role.trim() === '')) bad('role must be a non-empty string or null');
  const outcome = entry.outcome ?? 'ok';
  if (outcome !== 'ok' && !ERROR_CODE.test(outcome)) bad(`outcome '${outcome}' must be 'ok' or an error code such as CSR_INVALID`);
  if (!(at instanceof Date) || Number.isNaN(at.getTime())) bad('at is not a valid Date');
  const details = entry.details ?? {};
  if (typeof details !== 'object' || details === null || Array.isArray(details)) bad('details must be a plain object');
  let detailsJson = '';
  let inputs: Record<string, string> = {};
  try {
    detailsJson = canonicalJson(details);
    inputs = hashInputs(entry.inputs);
  } catch (e) {
    bad((e as Error).message);
  }
  if (Buffer.byteLength(detailsJson) > MAX_DETAILS_BYTES) bad(`details are ${Buffer.byteLength(detailsJson)} bytes; keep them under ${MAX_DETAILS_BYTES} (hash large inputs instead)`);
  return {
    at: at.toISOString(),
    actor: entry.actor,
    role,
    action: entry.action,
    inputs,
    outcome,
    details: JSON.parse(detailsJson) as Record<string, unknown>,
  };
}

function toRecord(e: StoredEntry): AuditRecord {
  return { ...e, inputs: parseOr(e.inputs, {}), details: parseOr(e.details, {}) };
}

function parseOr<T>(text: string, fallback: T): T {
  try {
    return JSON.parse(text) as T;
  } catch {
    return fallback;
  }
}
