import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, type Store } from '../store/database.js';
import { entryHash } from './audit-hash.js';

const N = 12;
const COLS = ['at', 'actor', 'role', 'action', 'inputs', 'outcome', 'details', 'prev_hash', 'hash', 'signature'];

/** Direct SQL on the rows, as someone with the database file (and no audit key) could do. */
describe('AuditLog.verify finds tampering with the rows', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-tamper-'));
    store = openStore(path.join(dir, 'home'), { create: true });
    store.transaction(() => {
      for (let i = 1; i <= N; i++) {
        store.audit.append(
          { actor: i % 2 ? 'alice' : 'bob', action: 'cert.issue', inputs: { csr: `csr-${i}` }, details: { serial: i.toString(16) } },
          new Date(Date.UTC(2026, 0, 1, 0, i)),
        );
      }
    });
    assert.equal(store.audit.verify().ok, true);
    store.db.exec('DROP TRIGGER audit_entries_no_update; DROP TRIGGER audit_entries_no_delete');
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  const run = (sql: string) => store.db.exec(sql);
  const swap = (a: number, b: number) => {
    const get = store.db.prepare(`SELECT ${COLS.join(', ')} FROM audit_entries WHERE seq = ?`);
    const ra = get.get(a) as Record<string, unknown>;
    const rb = get.get(b) as Record<string, unknown>;
    const put = store.db.prepare(`UPDATE audit_entries SET ${COLS.map((c) => `${c} = @${c}`).join(', ')} WHERE seq = @seq`);
    put.run({ ...rb, seq: a });
    put.run({ ...ra, seq: b });
  };
  const expectBad = (firstBadSeq: number, problem: string, message: string, entries = N) =>
    assert.deepEqual(store.audit.verify(), { ok: false, entries, firstBadSeq, problem, message });

  test('an edited input hash', () => {
    run(`UPDATE audit_entries SET inputs = '{"csr":"${'ab'.repeat(32)}"}' WHERE seq = 7`);
    expectBad(7, 'edited', 'entry 7 was edited: its hash does not match its contents');
  });

  test('an edited actor in the first entry', () => {
    run(`UPDATE audit_entries SET actor = 'mallory' WHERE seq = 1`);
    expectBad(1, 'edited', 'entry 1 was edited: its hash does not match its contents');
  });

  test('details rewritten as equivalent but different JSON text', () => {
    run(`UPDATE audit_entries SET details = '{ "serial": "5" }' WHERE seq = 5`);
    expectBad(5, 'edited', 'entry 5 was edited: its details are not the JSON that was sealed');
  });

  test('an entry edited and its hash recomputed, without the audit key', () => {
    const row = store.audit.get(6)!;
    const forged = entryHash({ ...row, actor: 'mallory' });
    store.db.prepare("UPDATE audit_entries SET actor = 'mallory', hash = ? WHERE seq = 6").run(forged);
    expectBad(6, 'bad-signature', `entry 6 has a bad signature: it was not sealed by this home's audit key (${store.audit.publicKey()!.fingerprint})`);
  });

  test('a corrupted signature', () => {
    const sig = (store.db.prepare('SELECT signature FROM audit_entries WHERE seq = 10').pluck().get() as string);
    const flipped = (sig[0] === 'A' ? 'B' : 'A') + sig.slice(1);
    store.db.prepare('UPDATE audit_entries SET signature = ? WHERE seq = 10').run(flipped);
    expectBad(10, 'bad-signature', `entry 10 has a bad signature: it was not sealed by this home's audit key (${store.audit.publicKey()!.fingerprint})`);
  });

  test('a deleted middle entry', () => {
    run('DELETE FROM audit_entries WHERE seq = 9');
    expectBad(9, 'removed', 'entry 9 is missing: entry 10 follows entry 8', N - 1);
  });

  test('several deleted middle entries', () => {
    run('DELETE FROM audit_entries WHERE seq BETWEEN 4 AND 6');
    expectBad(4, 'removed', 'entries 4–6 are missing: entry 7 follows entry 3', N - 3);
  });

  test('a deleted first entry', () => {
    run('DELETE FROM audit_entries WHERE seq = 1');
    expectBad(1, 'removed', 'entry 1 is missing: the trail starts at entry 2', N - 1);
  });

  test("a deleted middle entry with the later ones renumbered", () => {
    run('DELETE FROM audit_entries WHERE seq = 9; UPDATE audit_entries SET seq = seq - 1 WHERE seq > 9');
    expectBad(9, 'removed', 'entry 9 is missing: entry 10 follows entry 8, renumbered as 9', N - 1);
  });

  test('the first two entries deleted and the rest renumbered from 1', () => {
    run('DELETE FROM audit_entries WHERE seq <= 2; UPDATE audit_entries SET seq = seq - 2');
    expectBad(1, 'removed', 'entries 1–2 are missing: the trail starts at entry 3, renumbered as 1', N - 2);
  });

  test('two entries with their contents swapped', () => {
    swap(5, 8);
    expectBad(5, 'reordered', 'entry 5 is out of order: it holds the contents of entry 8');
  });

  test('two neighbouring entries swapped', () => {
    swap(3, 4);
    expectBad(3, 'reordered', 'entry 3 is out of order: it holds the contents of entry 4');
  });

  test('the last entries deleted', () => {
    run('DELETE FROM audit_entries WHERE seq > 8');
    expectBad(9, 'truncated', 'entries after 8 were removed: the signed head says 12', 8);
  });

  test('every entry deleted', () => {
    run('DELETE FROM audit_entries');
    expectBad(1, 'truncated', 'all 12 entries were removed: the signed head says 12', 0);
  });

  test("the last entries deleted and the head moved back using the last remaining entry's signature", () => {
    run(`DELETE FROM audit_entries WHERE seq > 8;
         UPDATE audit_head SET seq = 8, hash = (SELECT hash FROM audit_entries WHERE seq = 8), signature = (SELECT signature FROM audit_entries WHERE seq = 8)`);
    expectBad(8, 'head-signature', "the head record (seq 8) has a bad signature: it was not signed by this home's audit key", 8);
  });

  test('the head record deleted', () => {
    run('DELETE FROM audit_head');
    expectBad(12, 'head-signature', 'the signed head record is missing, so entries after 12 may have been removed');
  });

  test('a corrupted head signature', () => {
    run("UPDATE audit_head SET signature = replace(signature, substr(signature, 1, 1), CASE substr(signature, 1, 1) WHEN 'A' THEN 'B' ELSE 'A' END)");
    expectBad(12, 'head-signature', "the head record (seq 12) has a bad signature: it was not signed by this home's audit key");
  });

  test('the audit public key replaced in meta by one the forger holds', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    store.db.prepare("UPDATE meta SET value = ? WHERE key = 'audit.public_key_spki'").run(publicKey.export({ type: 'spki', format: 'der' }).toString('base64'));
    // The forger re-signs the head but cannot re-sign every entry without also being caught at entry 1.
    expectBad(1, 'bad-signature', `entry 1 has a bad signature: it was not sealed by this home's audit key (${store.audit.publicKey()!.fingerprint})`);
    assert.ok(sign(null, Buffer.alloc(32), privateKey));
  });
});
