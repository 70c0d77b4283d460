import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore, databaseFingerprint, type Store } from '../store/database.js';
import { GENESIS_HASH, headMessage } from './audit-hash.js';

const AT = new Date('2026-02-03T04:05:06Z');
const sha256 = (s: string | Uint8Array) => createHash('sha256').update(s).digest('hex');

describe('AuditLog.append', () => {
  let dir: string;
  let store: Store;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-audit-'));
    store = openStore(path.join(dir, 'home'), { create: true });
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('outside a transaction it throws and records nothing', () => {
    const before = databaseFingerprint(store.db);
    assert.throws(() => store.audit.append({ actor: 'alice', action: 'ca.create-root' }, AT), {
      code: 'AUDIT_OUTSIDE_TRANSACTION',
      message: "Audit entry 'ca.create-root' was appended outside a transaction",
    });
    assert.equal(databaseFingerprint(store.db), before);
  });

  test('hashes the inputs, never storing them, and seals the entry as specified', () => {
    const secretish = 'subject=CN=Example Root CA';
    const rec = store.transaction(() =>
      store.audit.append(
        {
          actor: 'alice',
          role: 'operator',
          action: 'ca.create-root',
          inputs: { subject: secretish, csr: new Uint8Array([1, 2, 3]), profile: { b: [true, null], a: 1 } },
          details: { serial: '01ab', caId: 'root-1' },
        },
        AT,
      ),
    );
    const inputs = {
      csr: sha256(new Uint8Array([1, 2, 3])),
      profile: sha256('{"a":1,"b":[true,null]}'),
      subject: sha256(secretish),
    };
    assert.deepEqual(rec.inputs, inputs);
    assert.equal(rec.seq, 1);
    assert.equal(rec.at, '2026-02-03T04:05:06.000Z');
    assert.equal(rec.outcome, 'ok');
    assert.equal(rec.prevHash, GENESIS_HASH);
    // The hash is SHA-256 of this exact text: sorted keys, prev_hash inside.
    const sealed =
      `{"action":"ca.create-root","actor":"alice","at":"2026-02-03T04:05:06.000Z","details":{"caId":"root-1","serial":"01ab"},` +
      `"inputs":{"csr":"${inputs.csr}","profile":"${inputs.profile}","subject":"${inputs.subject}"},` +
      `"outcome":"ok","prev_hash":"${GENESIS_HASH}","role":"operator","seq":1}`;
    assert.equal(rec.hash, sha256(sealed));
    const row = store.db.prepare('SELECT * FROM audit_entries WHERE seq = 1').get() as Record<string, unknown>;
    assert.ok(!JSON.stringify(row).includes('Example Root CA'), 'the input itself is not stored');
    assert.deepEqual(store.audit.list(), [rec]);
    assert.deepEqual(store.audit.get(1), rec);
  });

  test('each entry links to the one before, and the signed head follows the last', () => {
    const recs = store.transaction(() => [1, 2, 3].map((i) => store.audit.append({ actor: 'alice', action: 'cert.issue', details: { i } }, AT)));
    assert.deepEqual(recs.map((r) => r.seq), [1, 2, 3]);
    assert.equal(recs[1].prevHash, recs[0].hash);
    assert.equal(recs[2].prevHash, recs[1].hash);
    const head = store.audit.head();
    assert.equal(head?.seq, 3);
    assert.equal(head?.hash, recs[2].hash);
    assert.deepEqual(store.audit.verify(), { ok: true, entries: 3, head: { seq: 3, hash: recs[2].hash }, keyFingerprint: store.audit.publicKey()!.fingerprint });
  });

  test('entry and head signatures verify with openssl', () => {
    const rec = store.transaction(() => store.audit.append({ actor: 'alice', action: 'crl.publish', outcome: 'CRL_SIGN_FAILED' }, AT));
    const pub = path.join(dir, 'audit.pub.pem');
    fs.writeFileSync(pub, store.audit.publicKey()!.pem);
    const check = (message: Buffer, signatureB64: string) => {
      fs.writeFileSync(path.join(dir, 'msg.bin'), message);
      fs.writeFileSync(path.join(dir, 'sig.bin'), Buffer.from(signatureB64, 'base64'));
      return spawnSync('openssl', ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-rawin', '-in', path.join(dir, 'msg.bin'), '-sigfile', path.join(dir, 'sig.bin')], { encoding: 'utf8' });
    };
    const entry = check(Buffer.from(rec.hash, 'hex'), rec.signature);
    assert.equal(entry.status, 0, entry.stderr);
    assert.match(entry.stdout, /Signature Verified Successfully/);
    const head = store.audit.head()!;
    assert.equal(check(headMessage(head.seq, head.hash), head.signature).status, 0);
    // …and openssl rejects the entry signature offered as a head signature.
    assert.notEqual(check(headMessage(head.seq, head.hash), rec.signature).status, 0);
    // The fingerprint is the SHA-256 of the SPKI DER, as openssl computes it.
    const der = execFileSync('openssl', ['pkey', '-pubin', '-in', pub, '-outform', 'DER']);
    assert.equal(sha256(der), store.audit.publicKey()!.fingerprint);
  });

  test('a rolled-back transaction leaves no entry and no gap', () => {
    store.transaction(() => store.audit.append({ actor: 'alice', action: 'a.one' }, AT));
    assert.throws(() =>
      store.transaction(() => {
        store.audit.append({ actor: 'alice', action: 'a.two' }, AT);
        throw new Error('rejected');
      }),
    );
    const rec = store.transaction(() => store.audit.append({ actor: 'alice', action: 'a.three' }, AT));
    assert.equal(rec.seq, 2);
    assert.equal(store.audit.verify().ok, true);
  });

  test('malformed entries are refused with the reason', () => {
    const bad = (entry: Parameters<Store['audit']['append']>[0], message: string, at = AT) =>
      assert.throws(() => store.transaction(() => store.audit.append(entry, at)), { code: 'AUDIT_ENTRY_INVALID', message });
    bad({ actor: '', action: 'a.b' }, `Audit entry 'a.b': actor "" must be 1–256 characters`);
    bad({ actor: 'x', action: 'Create Root' }, `Audit entry 'Create Root': action must look like 'ca.create-root'`);
    bad({ actor: 'x', action: 'a.b', outcome: 'failed' }, `Audit entry 'a.b': outcome 'failed' must be 'ok' or an error code such as CSR_INVALID`);
    bad({ actor: 'x', action: 'a.b', details: { when: new Date(0) } }, `Audit entry 'a.b': canonicalJson: $.when is a Date; pass plain data (e.g. a string or hex)`);
    bad({ actor: 'x', action: 'a.b', details: { big: 'x'.repeat(20_000) } }, `Audit entry 'a.b': details are 20010 bytes; keep them under 16384 (hash large inputs instead)`);
    bad({ actor: 'x', action: 'a.b' }, `Audit entry 'a.b': at is not a valid Date`, new Date('nope'));
    assert.equal(store.audit.list().length, 0);
  });

  test('the database itself refuses to update or delete entries', () => {
    store.transaction(() => store.audit.append({ actor: 'alice', action: 'a.one' }, AT));
    assert.throws(() => store.db.exec("UPDATE audit_entries SET actor = 'mallory'"), /audit entries are append-only/);
    assert.throws(() => store.db.exec('DELETE FROM audit_entries'), /audit entries are append-only/);
  });

  test('nothing is appended after the end of the trail was cut, so the cut cannot be papered over', () => {
    store.transaction(() => [1, 2, 3].forEach(() => store.audit.append({ actor: 'alice', action: 'a.one' }, AT)));
    store.db.exec('DROP TRIGGER audit_entries_no_delete; DELETE FROM audit_entries WHERE seq = 3');
    const before = databaseFingerprint(store.db);
    assert.throws(() => store.transaction(() => store.audit.append({ actor: 'mallory', action: 'a.cover' }, AT)), {
      code: 'AUDIT_CHAIN_BROKEN',
      message: 'The audit trail ends at entry 2 but its signed head says 3; nothing more is recorded until this is explained',
    });
    assert.equal(databaseFingerprint(store.db), before);
  });

  test('list filters by action, actor and time, pages, and orders', () => {
    store.transaction(() => {
      store.audit.append({ actor: 'alice', action: 'ca.create-root' }, new Date('2026-01-01T00:00:00Z'));
      store.audit.append({ actor: 'bob', action: 'cert.issue' }, new Date('2026-01-02T00:00:00Z'));
      store.audit.append({ actor: 'alice', action: 'cert.issue' }, new Date('2026-01-03T00:00:00Z'));
      store.audit.append({ actor: 'bob', action: 'crl.publish' }, new Date('2026-01-04T00:00:00Z'));
    });
    const seqs = (f: Parameters<Store['audit']['list']>[0]) => store.audit.list(f).map((r) => r.seq);
    assert.deepEqual(seqs({ action: 'cert.issue' }), [2, 3]);
    assert.deepEqual(seqs({ actor: 'alice' }), [1, 3]);
    assert.deepEqual(seqs({ actor: 'bob', action: 'cert.issue' }), [2]);
    assert.deepEqual(seqs({ since: '2026-01-03' }), [3, 4]);
    assert.deepEqual(seqs({ since: '2026-01-02T12:00:00+01:00' }), [3, 4]);
    assert.deepEqual(seqs({ limit: 2, offset: 1 }), [2, 3]);
    assert.deepEqual(seqs({ order: 'desc', limit: 2 }), [4, 3]);
    assert.throws(() => store.audit.list({ since: 'yesterday' }), { code: 'AUDIT_FILTER_INVALID', message: "since 'yesterday' is not a date" });
    assert.throws(() => store.audit.list({ limit: 0 }), { code: 'AUDIT_FILTER_INVALID' });
  });

  test('an empty trail verifies', () => {
    assert.deepEqual(store.audit.verify(), { ok: true, entries: 0, head: { seq: 0, hash: GENESIS_HASH }, keyFingerprint: store.audit.publicKey()!.fingerprint });
  });
});
