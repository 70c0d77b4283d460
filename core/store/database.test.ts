import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { latestVersion } from './migrations.js';
import { databaseFingerprint, openStore } from './database.js';
import { readHomeLock } from './home-lock.js';

const AT = new Date('2026-02-03T04:05:06Z');
const mode = (p: string) => fs.statSync(p).mode & 0o777;

describe('openStore', () => {
  let dir: string;
  let home: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-db-'));
    home = path.join(dir, 'home');
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  test('a home without a database is refused, pointing at coldroot init, and nothing is created', () => {
    assert.throws(() => openStore(home), {
      code: 'HOME_NOT_INITIALIZED',
      message: `No Coldroot home at ${home}: ${path.join(home, 'coldroot.db')} does not exist`,
      hint: `Run: coldroot init --home ${home}, or pass --home with the folder of an existing home`,
    });
    assert.equal(fs.existsSync(home), false);
  });

  test('create makes a private home with a WAL database, a private keys folder and an audit key', () => {
    const store = openStore(home, { create: true });
    try {
      assert.equal(store.home, home);
      assert.equal(mode(home), 0o700);
      assert.equal(store.keysDir, path.join(home, 'keys'));
      assert.equal(mode(store.keysDir), 0o700);
      const keyFile = path.join(home, 'keys', 'audit-ed25519.pem');
      assert.equal(mode(keyFile), 0o600);
      assert.equal(store.db.pragma('journal_mode', { simple: true }), 'wal');
      assert.equal(store.db.pragma('synchronous', { simple: true }), 2); // FULL
      assert.equal(store.db.pragma('foreign_keys', { simple: true }), 1);
      assert.equal(store.db.pragma('busy_timeout', { simple: true }), 5000);
      assert.equal(store.db.pragma('user_version', { simple: true }), latestVersion());
      // meta records the key's public half and its fingerprint
      const spki = createPublicKey(fs.readFileSync(keyFile, 'utf8')).export({ type: 'spki', format: 'der' });
      const meta = Object.fromEntries((store.db.prepare('SELECT key, value FROM meta').all() as { key: string; value: string }[]).map((r) => [r.key, r.value]));
      assert.equal(meta['audit.public_key_spki'], spki.toString('base64'));
      assert.equal(meta['audit.public_key_sha256'], store.audit.publicKey()?.fingerprint);
      assert.match(meta['audit.public_key_sha256'], /^[0-9a-f]{64}$/);
      assert.equal(readHomeLock(home)?.pid, process.pid);
    } finally {
      store.close();
    }
    assert.equal(readHomeLock(home), null, 'close released the lock');
  });

  test('create on an existing home opens it and keeps its audit key', () => {
    openStore(home, { create: true }).close();
    const keyFile = path.join(home, 'keys', 'audit-ed25519.pem');
    const pem = fs.readFileSync(keyFile, 'utf8');
    const store = openStore(home, { create: true });
    assert.equal(fs.readFileSync(keyFile, 'utf8'), pem);
    store.close();
  });

  test('an audit key file left by an interrupted init is adopted, not overwritten', () => {
    fs.mkdirSync(path.join(home, 'keys'), { recursive: true });
    const keyFile = path.join(home, 'keys', 'audit-ed25519.pem');
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    fs.writeFileSync(keyFile, pem, { mode: 0o600 });
    const store = openStore(home, { create: true });
    assert.equal(fs.readFileSync(keyFile, 'utf8'), pem);
    assert.ok(store.audit.publicKey()?.spki.equals(publicKey.export({ type: 'spki', format: 'der' })));
    store.close();
  });

  test('an audit key file that is not this home\'s is refused at the first append, and nothing is written', () => {
    openStore(home, { create: true }).close();
    const keyFile = path.join(home, 'keys', 'audit-ed25519.pem');
    fs.rmSync(keyFile);
    fs.writeFileSync(keyFile, generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }));
    const store = openStore(home);
    const before = databaseFingerprint(store.db);
    assert.throws(
      () => store.transaction(() => store.audit.append({ actor: 'op', action: 'test.write' }, AT)),
      { code: 'AUDIT_KEY_MISMATCH', message: new RegExp(`^The audit key ${keyFile} \\(public key SHA-256 [0-9a-f]{64}\\) is not this home's audit key \\(${store.audit.publicKey()!.fingerprint}\\)$`) },
    );
    assert.equal(databaseFingerprint(store.db), before);
    store.close();
  });

  test('a missing audit key file is reported at the first append', () => {
    openStore(home, { create: true }).close();
    fs.rmSync(path.join(home, 'keys', 'audit-ed25519.pem'));
    const store = openStore(home);
    assert.throws(() => store.transaction(() => store.audit.append({ actor: 'op', action: 'test.write' }, AT)), { code: 'AUDIT_KEY_MISSING' });
    store.close();
  });

  test('transaction commits together, rolls back together, and refuses async functions', () => {
    const store = openStore(home, { create: true });
    store.db.exec('CREATE TABLE things (name TEXT)');
    store.transaction(() => {
      store.db.prepare('INSERT INTO things VALUES (?)').run('kept');
      store.audit.append({ actor: 'op', action: 'thing.add' }, AT);
    });
    const before = databaseFingerprint(store.db);
    assert.throws(() =>
      store.transaction(() => {
        store.db.prepare('INSERT INTO things VALUES (?)').run('lost');
        store.audit.append({ actor: 'op', action: 'thing.add' }, AT);
        throw new Error('rejected');
      }), /rejected/);
    assert.equal(databaseFingerprint(store.db), before);
    assert.deepEqual(store.db.prepare('SELECT name FROM things').pluck().all(), ['kept']);
    assert.equal(store.audit.list().length, 1);
    assert.throws(() => store.transaction((async () => 1) as unknown as () => number), /cannot return a promise/);
    store.close();
  });

  test('read-only: opens beside a writer without the lock, reads and verifies, cannot write', () => {
    const writer = openStore(home, { create: true });
    writer.transaction(() => writer.audit.append({ actor: 'op', action: 'test.write' }, AT));
    const reader = openStore(home, { readonly: true });
    assert.equal(reader.readonly, true);
    assert.equal(reader.audit.verify().ok, true);
    assert.equal(reader.audit.list().length, 1);
    assert.throws(() => reader.db.exec("INSERT INTO meta VALUES ('x', 'y')"), /readonly/);
    reader.close();
    assert.equal(readHomeLock(home)?.pid, process.pid, "closing the reader left the writer's lock alone");
    writer.close();
  });

  test('a database written by a newer Coldroot is refused, and the lock is released', () => {
    openStore(home, { create: true }).close();
    const raw = new Database(path.join(home, 'coldroot.db'));
    raw.pragma('user_version = 99');
    raw.close();
    for (const readonly of [false, true]) {
      assert.throws(() => openStore(home, { readonly }), {
        code: 'DATABASE_TOO_NEW',
        message: `Database ${path.join(home, 'coldroot.db')} has schema version 99, but this Coldroot knows versions up to ${latestVersion()}`,
      });
    }
    assert.equal(readHomeLock(home), null);
  });

  test('a file that is not a database is reported as such', () => {
    fs.mkdirSync(home);
    fs.writeFileSync(path.join(home, 'coldroot.db'), 'this is not sqlite, just some text that is long enough to have a header'.repeat(20));
    assert.throws(() => openStore(home), { code: 'DATABASE_UNREADABLE', message: /file is not a database/ });
    assert.equal(readHomeLock(home), null);
  });

  test('close is idempotent', () => {
    const store = openStore(home, { create: true });
    store.close();
    store.close();
    assert.equal(store.db.open, false);
  });
});

describe('databaseFingerprint', () => {
  function db(): Database.Database {
    const d = new Database(':memory:');
    d.exec(`
      CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v);
      CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
      INSERT INTO a (v) VALUES (1), ('two'), (x'03'), (NULL), (4.5);
      INSERT INTO w VALUES ('b', 2), ('a', 1);
    `);
    return d;
  }

  test('is the same for the same content, built in a different order', () => {
    const d1 = db();
    const d2 = new Database(':memory:');
    d2.exec(`
      CREATE TABLE a (id INTEGER PRIMARY KEY AUTOINCREMENT, v);
      CREATE TABLE w (k TEXT PRIMARY KEY, v) WITHOUT ROWID;
      INSERT INTO w VALUES ('a', 1), ('b', 2);
      INSERT INTO a (id, v) VALUES (5, 4.5), (4, NULL), (3, x'03'), (2, 'two'), (1, 1);
    `);
    assert.equal(databaseFingerprint(d1), databaseFingerprint(d2));
  });

  test('changes with any row, value type, sqlite_sequence, the schema or user_version', () => {
    const base = databaseFingerprint(db());
    const changed = (sql: string) => {
      const d = db();
      d.exec(sql);
      return databaseFingerprint(d);
    };
    const variants = [
      "UPDATE w SET v = 3 WHERE k = 'a'",
      'UPDATE a SET v = 1.0 WHERE id = 1', // integer 1 → real 1.0
      "UPDATE a SET v = '1' WHERE id = 1", // integer 1 → text '1'
      'DELETE FROM a WHERE id = 4',
      'UPDATE sqlite_sequence SET seq = 99',
      'CREATE INDEX a_v ON a (v)',
      'PRAGMA user_version = 1',
    ];
    const prints = variants.map(changed);
    for (const [i, p] of prints.entries()) assert.notEqual(p, base, variants[i]);
    assert.equal(new Set(prints).size, variants.length);
  });

  test('an insert rolled back leaves it unchanged, although sqlite_sequence moved inside the transaction', () => {
    const d = db();
    const before = databaseFingerprint(d);
    assert.throws(() =>
      d.transaction(() => {
        d.prepare('INSERT INTO a (v) VALUES (6)').run();
        throw new Error('rejected');
      })(),
    );
    assert.equal(databaseFingerprint(d), before);
    d.prepare('INSERT INTO a (v) VALUES (6)').run();
    d.prepare('DELETE FROM a WHERE v = 6').run();
    assert.notEqual(databaseFingerprint(d), before, 'an insert then delete still moves sqlite_sequence');
  });
});
