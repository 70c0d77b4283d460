import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { AuditLog } from '../audit/audit-log.js';
import { ensureAuditKey } from '../audit/audit-key.js';
import { ColdrootError } from '../errors.js';
import { homePaths } from './home.js';
import { acquireHomeLock, type HomeLock } from './home-lock.js';
import { assertNotTooNew, latestVersion, migrate, schemaVersion } from './migrations.js';

export interface OpenStoreOptions {
  /** Make the home folder, database and audit key if they do not exist. */
  create?: boolean;
  /** Read without taking the home lock (an auditor beside a running operator). Nothing can be written. */
  readonly?: boolean;
}

export interface Store {
  readonly db: Database.Database;
  readonly home: string;
  readonly keysDir: string;
  readonly readonly: boolean;
  readonly audit: AuditLog;
  /** Runs `fn` in an IMMEDIATE transaction. `fn` must be synchronous: better-sqlite3 cannot await inside one. */
  transaction<T>(fn: () => T): T;
  /**
   * A second connection to the home's database, with its own audit log, for a transaction that
   * spans awaits (a bundle import, a batch's storage while threads sign): nothing else this process
   * runs on `db` can slip into it, and SQLite's write lock (BEGIN IMMEDIATE) makes other writers
   * wait rather than interleave. The caller closes it. `cacheKiB`: its page cache (default the
   * store's; a bulk import of append-only rows needs only SQLite's 2 MiB and keeps its memory peak).
   */
  writeConnection(opts?: { cacheKiB?: number }): { db: Database.Database; audit: AuditLog };
  /** Closes the database and releases the home lock. Safe to call twice. */
  close(): void;
}

const BUSY_TIMEOUT_MS = 5000;

/** Opens the home's database (migrating it) and, unless read-only, makes this process its only writer. */
export function openStore(home: string, opts: OpenStoreOptions = {}): Store {
  const paths = homePaths(path.resolve(home));
  const readonly = opts.readonly === true;
  const create = opts.create === true && !readonly;
  if (!create && !fs.existsSync(paths.database)) {
    throw new ColdrootError(
      'HOME_NOT_INITIALIZED',
      `No Coldroot home at ${paths.home}: ${paths.database} does not exist`,
      `Run: coldroot init --home ${paths.home}, or pass --home with the folder of an existing home`,
    );
  }
  if (create) makeHomeFolders(paths.home, paths.keys);

  const lock: HomeLock | null = readonly ? null : acquireHomeLock(paths.home);
  let db: Database.Database | null = null;
  try {
    db = openDatabase(paths.database, readonly);
    if (readonly) {
      assertNotTooNew(db);
      if (schemaVersion(db) < latestVersion()) {
        throw new ColdrootError(
          'DATABASE_NEEDS_UPGRADE',
          `Database ${paths.database} has schema version ${schemaVersion(db)}; this Coldroot reads version ${latestVersion()}`,
          'Open the home once for writing (any coldroot command without --readonly) to upgrade it',
        );
      }
    } else {
      migrate(db);
      if (create) ensureAuditKey(db, paths.keys);
    }
    return new SqliteStore(db, paths.home, paths.keys, readonly, lock);
  } catch (e) {
    db?.close();
    lock?.release();
    throw e;
  }
}

class SqliteStore implements Store {
  readonly audit: AuditLog;
  private closed = false;

  constructor(
    readonly db: Database.Database,
    readonly home: string,
    readonly keysDir: string,
    readonly readonly: boolean,
    private readonly lock: HomeLock | null,
  ) {
    this.audit = new AuditLog(db, { home, keysDir });
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  writeConnection(opts: { cacheKiB?: number } = {}): { db: Database.Database; audit: AuditLog } {
    if (this.readonly) throw new ColdrootError('HOME_READONLY', `Home ${this.home} is open read-only`, 'Run the command without --readonly');
    const db = openDatabase(this.db.name, false, opts.cacheKiB);
    return { db, audit: new AuditLog(db, { home: this.home, keysDir: this.keysDir }) };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
    } finally {
      this.lock?.release();
    }
  }
}

function makeHomeFolders(home: string, keys: string): void {
  try {
    fs.mkdirSync(home, { recursive: true, mode: 0o700 });
    fs.mkdirSync(keys, { recursive: true, mode: 0o700 });
    // mkdir leaves an existing folder's mode alone; keys/ holds private keys, so insist.
    fs.chmodSync(keys, 0o700);
  } catch (e) {
    throw new ColdrootError('HOME_INVALID', `Cannot create the home folder ${home}: ${(e as Error).message}`, 'Choose a folder you can write to with --home DIR');
  }
}

/** Page cache of the store's connection, KiB. */
const CACHE_KIB = 16 * 1024;

function openDatabase(file: string, readonly: boolean, cacheKiB = CACHE_KIB): Database.Database {
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { readonly, fileMustExist: readonly });
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      // FULL: a commit is on disk before it is reported, so a confirmed write survives a power cut.
      db.pragma('synchronous = FULL');
    }
    db.pragma('foreign_keys = ON');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    // SQLite's 2 MiB default cache thrashes once the random-keyed indexes (serials, fingerprints)
    // of a large inventory outgrow it (OCSP presign of 100k certificates: 8.6k -> 16k responses/s).
    // 16 MiB rather than more: the 1M-row metrics import keeps under its 256 MiB peak (64 MiB: 274).
    db.pragma(`cache_size = -${cacheKiB}`);
    db.prepare('SELECT count(*) FROM sqlite_schema').get();
    return db;
  } catch (e) {
    db?.close();
    throw new ColdrootError(
      'DATABASE_UNREADABLE',
      `Cannot open ${file} as a Coldroot database: ${(e as Error).message}`,
      'Check that the file is the coldroot.db of a Coldroot home and is not damaged; restore it from a backup if it is',
      'failure',
    );
  }
}

/**
 * SHA-256 over the whole database: user_version, then every table (the schema table and
 * sqlite_sequence included) by name, its rows by rowid (by all columns for WITHOUT ROWID tables),
 * each value tagged with its SQLite type. Equal fingerprints mean the same content, so a test can
 * assert that a rejected command changed nothing.
 */
export function databaseFingerprint(db: Database.Database): string {
  const h = createHash('sha256');
  h.update(`user_version\0${schemaVersion(db)}\0`);
  const tables = (db.pragma('table_list') as { schema: string; name: string; type: string; ncol: number; wr: number }[])
    .filter((t) => t.schema === 'main' && (t.type === 'table' || t.type === 'shadow'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const t of tables) {
    const name = `"${t.name.replace(/"/g, '""')}"`;
    const sql = t.wr
      ? `SELECT * FROM ${name} ORDER BY ${Array.from({ length: t.ncol }, (_, i) => i + 1).join(', ')}`
      : `SELECT rowid, * FROM ${name} ORDER BY rowid`;
    h.update(`table\0${t.name}\0`);
    for (const row of db.prepare(sql).raw(true).safeIntegers(true).iterate() as IterableIterator<unknown[]>) {
      h.update(`row\0${row.length}\0`);
      for (const v of row) h.update(encodeValue(v));
    }
  }
  return h.digest('hex');
}

function encodeValue(v: unknown): Buffer {
  if (v === null) return Buffer.from('n\0');
  if (typeof v === 'bigint') return Buffer.from(`i${v}\0`);
  if (typeof v === 'number') {
    const b = Buffer.alloc(9);
    b.write('r');
    b.writeDoubleBE(v, 1);
    return b;
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    return Buffer.concat([Buffer.from(`s${s.length}\0`), s]);
  }
  if (Buffer.isBuffer(v)) return Buffer.concat([Buffer.from(`b${v.length}\0`), v]);
  throw new TypeError(`databaseFingerprint: unexpected value of type ${typeof v}`);
}
