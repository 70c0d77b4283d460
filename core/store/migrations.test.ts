import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import Database from 'better-sqlite3';
import { MIGRATIONS, migrate, schemaVersion, type Migration } from './migrations.js';
import { databaseFingerprint } from './database.js';

function tables(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

const NAMES = MIGRATIONS.map((m) => `${m.version}-${m.name}`);
const LATEST = MIGRATIONS.length;

describe('migrate', () => {
  test('the list starts with audit (1) and ca-inventory (2) and numbers every migration in order', () => {
    assert.deepEqual(NAMES.slice(0, 2), ['1-audit', '2-ca-inventory']);
    assert.deepEqual(MIGRATIONS.map((m) => m.version), MIGRATIONS.map((_, i) => i + 1));
  });

  test('a fresh database gets every migration, in order', () => {
    const db = new Database(':memory:');
    const r = migrate(db);
    assert.deepEqual(r, { from: 0, to: LATEST, applied: NAMES });
    assert.equal(schemaVersion(db), LATEST);
    for (const t of ['audit_entries', 'audit_head', 'cas', 'certificates', 'crls', 'meta']) assert.ok(tables(db).includes(t), t);
    db.close();
  });

  test('migrating an up-to-date database changes nothing', () => {
    const db = new Database(':memory:');
    migrate(db);
    const before = databaseFingerprint(db);
    assert.deepEqual(migrate(db), { from: LATEST, to: LATEST, applied: [] });
    assert.equal(databaseFingerprint(db), before);
    db.close();
  });

  test('a database at version 1 gets only the later migrations', () => {
    const db = new Database(':memory:');
    migrate(db, MIGRATIONS.slice(0, 1));
    assert.deepEqual(migrate(db), { from: 1, to: LATEST, applied: NAMES.slice(1) });
    db.close();
  });

  test('a failing migration leaves the database at the previous version, with none of its changes', () => {
    const db = new Database(':memory:');
    const broken: Migration = { version: 2, name: 'broken', sql: 'CREATE TABLE half_done (a); INSERT INTO no_such_table VALUES (1);' };
    migrate(db, MIGRATIONS.slice(0, 1));
    const before = databaseFingerprint(db);
    assert.throws(() => migrate(db, [MIGRATIONS[0], broken]), {
      code: 'MIGRATION_FAILED',
      message: 'Migration 2 (broken) failed on :memory:: no such table: no_such_table; the database stays at version 1',
    });
    assert.equal(schemaVersion(db), 1);
    assert.ok(!tables(db).includes('half_done'));
    assert.equal(databaseFingerprint(db), before);
    db.close();
  });

  test('a database newer than the code is refused', () => {
    const db = new Database(':memory:');
    db.pragma('user_version = 99');
    assert.throws(() => migrate(db), {
      code: 'DATABASE_TOO_NEW',
      message: `Database :memory: has schema version 99, but this Coldroot knows versions up to ${LATEST}`,
    });
    db.close();
  });

  test('a list with a gap is refused before anything runs', () => {
    const db = new Database(':memory:');
    assert.throws(() => migrate(db, [MIGRATIONS[0], { version: 3, name: 'x', sql: 'CREATE TABLE x (a)' }]), { code: 'MIGRATIONS_OUT_OF_ORDER' });
    assert.equal(schemaVersion(db), 0);
    db.close();
  });
});
