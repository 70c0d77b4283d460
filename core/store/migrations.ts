import type Database from 'better-sqlite3';
import { ColdrootError } from '../errors.js';
import { audit } from './migrations/001-audit.js';
import { caInventory } from './migrations/002-ca-inventory.js';
import { bundles } from './migrations/003-bundles.js';
import { ocspResponders } from './migrations/004-ocsp-responders.js';
import { certificateSearch } from './migrations/005-certificate-search.js';
import { attestation } from './migrations/006-attestation.js';
import { risk } from './migrations/007-risk.js';
import { rolloutProgress } from './migrations/008-rollout-progress.js';
import { clientNetworks } from './migrations/009-client-networks.js';
import { certificateSearchBulk } from './migrations/010-certificate-search-bulk.js';
import { dropRedundantExpiryIndex } from './migrations/011-drop-redundant-expiry-index.js';

export interface Migration {
  readonly version: number;
  readonly name: string;
  readonly sql: string;
}

/** Every schema change, in order. Versions are 1, 2, 3… and are stored in PRAGMA user_version. */
export const MIGRATIONS: readonly Migration[] = [audit, caInventory, bundles, ocspResponders, certificateSearch, attestation, risk, rolloutProgress, clientNetworks, certificateSearchBulk, dropRedundantExpiryIndex];

export interface MigrationResult {
  from: number;
  to: number;
  applied: string[];
}

export function schemaVersion(db: Database.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function latestVersion(migrations: readonly Migration[] = MIGRATIONS): number {
  return migrations.length === 0 ? 0 : migrations[migrations.length - 1].version;
}

/** Refuses a database written by a newer Coldroot: its tables may mean things this code does not know. */
export function assertNotTooNew(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): void {
  const current = schemaVersion(db);
  const latest = latestVersion(migrations);
  if (current > latest) {
    throw new ColdrootError(
      'DATABASE_TOO_NEW',
      `Database ${db.name} has schema version ${current}, but this Coldroot knows versions up to ${latest}`,
      'Use the newer Coldroot that last wrote this home, or restore a backup made by this version',
    );
  }
}

/**
 * Brings the database up to the latest version. Each migration runs in its own transaction
 * together with its user_version bump, so a failure leaves the database at the previous version.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): MigrationResult {
  checkOrder(migrations);
  assertNotTooNew(db, migrations);
  const from = schemaVersion(db);
  const applied: string[] = [];
  for (const m of migrations) {
    if (m.version <= from) continue;
    try {
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      }).immediate();
    } catch (e) {
      throw new ColdrootError(
        'MIGRATION_FAILED',
        `Migration ${m.version} (${m.name}) failed on ${db.name}: ${(e as Error).message}; the database stays at version ${schemaVersion(db)}`,
        'Keep this home as it is and report the error; a backup of coldroot.db lets you retry with a fixed Coldroot',
        'failure',
      );
    }
    applied.push(`${m.version}-${m.name}`);
  }
  return { from, to: schemaVersion(db), applied };
}

function checkOrder(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) {
      throw new ColdrootError(
        'MIGRATIONS_OUT_OF_ORDER',
        `Migration '${m.name}' has version ${m.version} at position ${i + 1}; versions must run 1, 2, 3… without gaps`,
        'Fix the ordered list in core/store/migrations.ts',
        'failure',
      );
    }
  });
}
