// Batch issuance above the thread threshold: every certificate stored and signed correctly (node:crypto
// for all, openssl for a sample), a failure mid-batch stores nothing, the pool serves other tasks
// during and after a batch, and a token batch on SoftHSM beside another user of the token.
import assert from 'node:assert/strict';
import { generateKeyPairSync, verify, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createSoftHsmToken, softHsmAvailable } from '../../test/helpers/softhsm.js';
import { openssl } from '../../test/helpers/openssl.js';
import { ConsoleService } from '../api/console-service.js';
import type { ColdrootError } from '../errors.js';
import { openKey } from '../keys/key-spec.js';
import { Pkcs11Signer } from '../keys/pkcs11-signer.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { queryCertificates } from '../store/certificate-query.js';
import { usedSerials } from '../store/certificate-repository.js';
import { databaseFingerprint } from '../store/database.js';
import { toPem } from '../x509/asn1.js';
import { buildCsr } from '../x509/csr-builder.js';
import { INLINE_LIMIT, runTask } from './batch/batch-pool.js';
import { issueBatch, type BatchIssueResult } from './issue-batch.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-issue-batch-'));
const PASS = 'issue batch test passphrase';
const secret = { passphrase: PASS };
const COUNT = 600; // above INLINE_LIMIT: the threads do the work
let svc: ConsoleService;
let caId: string;
let caPem: string;
let csrs: Array<{ csr: Uint8Array; source: string }>;

before(async () => {
  assert.ok(COUNT > INLINE_LIMIT);
  svc = ConsoleService.open({ home: join(dir, 'home'), operator: 'alice', create: true });
  svc.initialize();
  const ca = await svc.createRootCa({ name: 'CN=Batch Root,O=Tests', algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: PASS } });
  caId = ca.id;
  caPem = ca.certificatePem!;
  writeFileSync(join(dir, 'ca.pem'), caPem);
  csrs = [];
  for (let i = 0; i < COUNT; i++) {
    const s = new SoftwareSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ecdsa-p256', 'software:device');
    csrs.push({ csr: await buildCsr(s, `CN=device-${i},O=Fleet`, { dns: [`device-${i}.fleet.example`] }), source: `device-${i}.csr` });
  }
});

after(() => {
  svc.close();
  rmSync(dir, { recursive: true, force: true });
});

const count = (sql: string, ...args: unknown[]) => (svc.store.db.prepare(sql).get(...args) as { n: number }).n;

/** Every certificate's signature checked with node:crypto, every 60th (and the last) with openssl verify. */
function assertAllVerify(r: BatchIssueResult, anchorPem: string, name: string): void {
  const issuer = new X509Certificate(anchorPem);
  const bad = r.issued.filter((c) => !new X509Certificate(c.certificatePem).verify(issuer.publicKey));
  assert.equal(bad.length, 0, `${bad.length} certificates do not verify with the CA key`);
  const anchor = join(dir, `${name}-ca.pem`);
  writeFileSync(anchor, anchorPem);
  const sample = r.issued.filter((_, i) => i % 60 === 0 || i === r.issued.length - 1).map((c, i) => {
    const f = join(dir, `${name}-${i}.pem`);
    writeFileSync(f, c.certificatePem);
    return f;
  });
  const v = openssl(['verify', '-CAfile', anchor, '-purpose', 'sslclient', ...sample]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.equal(v.stdout.split('\n').filter((l) => l.endsWith(': OK')).length, sample.length);
}

describe('batch issuance on the threads', () => {
  test('a batch above INLINE_LIMIT issues every certificate in one transaction with one audit entry', async () => {
    const progress: number[] = [];
    const r = await issueBatch(svc.ctx, { caId, secret, profile: 'device-management', csrs, onProgress: (d) => progress.push(d) });
    assert.equal(r.issued.length, COUNT);
    assert.deepEqual(r.rejected, []);
    assert.deepEqual(r.issued.map((c) => c.source), csrs.map((c) => c.source), 'results keep the input order');
    assert.equal(new Set(r.issued.map((c) => c.serial)).size, COUNT);
    assert.equal(progress.at(-1), COUNT);
    const subject = new X509Certificate(r.issued[123].certificatePem);
    assert.match(subject.subject, /CN=device-123/);
    assert.equal(subject.subjectAltName, 'DNS:device-123.fleet.example');
    assertAllVerify(r, caPem, 'software');
    assert.equal(count("SELECT count(*) AS n FROM certificates WHERE ca_id = ? AND profile = 'device-management'", caId), COUNT);
    const stored = svc.store.db.prepare('SELECT der FROM certificates WHERE ca_id = ? AND serial = ?').pluck().get(caId, r.issued[599].serial) as Buffer;
    assert.equal(toPem(new Uint8Array(stored), 'CERTIFICATE'), r.issued[599].certificatePem);
    assert.equal(count("SELECT count(*) AS n FROM audit_entries WHERE action = 'cert.issue-batch'"), 1);
    // The search index was filled for the whole batch in one statement (migration 10), and the
    // trigger is live again for every later writer.
    assert.equal(count('SELECT count(*) AS n FROM certificate_search_deferred'), 0);
    assert.doesNotThrow(() => svc.store.db.exec("INSERT INTO certificate_search (certificate_search) VALUES ('integrity-check')"));
    assert.deepEqual(queryCertificates(svc.store.db, { text: 'device-123.fleet' }).rows.map((x) => x.serial), [r.issued[123].serial]);
    assert.equal(queryCertificates(svc.store.db, { text: 'fleet example', caId }).total, COUNT);
    const single = await svc.issueCertificate({ caId, secret, profile: 'device-management', csr: csrs[7].csr });
    assert.deepEqual(queryCertificates(svc.store.db, { text: single.serial.slice(0, 12) }).rows.map((x) => x.serial), [single.serial]);
    assert.equal(queryCertificates(svc.store.db, { text: 'device-7.fleet' }).total, 2, 'a single issue after the batch is indexed by the trigger');
  });

  test('a thread failure in the second chunk stores nothing: database and audit trail unchanged', async () => {
    // 1,100 requests: the first chunk of 1,000 is inserted before the failing item at 1,050 is reached.
    const items: Array<{ csr: Uint8Array; source: string }> = [];
    for (let i = 0; i < 1100; i++) items.push({ ...csrs[i % COUNT], source: `r${i}` });
    items[1050] = { csr: 42 as never, source: 'not-a-request' }; // the thread's TypeError: an INTERNAL_ERROR failure
    const before = databaseFingerprint(svc.store.db);
    const progress: number[] = [];
    await assert.rejects(issueBatch(svc.ctx, { caId, secret, profile: 'device-management', csrs: items, onProgress: (d) => progress.push(d) }), (e: ColdrootError) => {
      assert.equal(e.code, 'INTERNAL_ERROR');
      assert.equal(e.kind, 'failure');
      return true;
    });
    assert.deepEqual(progress, [1000], 'the first chunk was signed before the failure was reached');
    assert.equal(databaseFingerprint(svc.store.db), before);
  });

  test('chunks are stored while the threads sign the next ones, and no one sees them before the batch commits', async () => {
    const items = Array.from({ length: 2100 }, (_, i) => ({ ...csrs[i % COUNT], source: `v${i}` }));
    const before = count('SELECT count(*) AS n FROM certificates');
    const seen: Array<[number, number]> = [];
    let ticks = 0;
    const timer = setInterval(() => { ticks++; }, 1);
    try {
      const r = await issueBatch(svc.ctx, { caId, secret, profile: 'device-management', csrs: items, onProgress: (done) => seen.push([done, count('SELECT count(*) AS n FROM certificates')]) });
      assert.equal(r.issued.length, items.length);
    } finally {
      clearInterval(timer);
    }
    assert.deepEqual(seen, [[1000, before], [2000, before], [2100, before]], 'the store connection sees none of the batch until its commit');
    assert.equal(count('SELECT count(*) AS n FROM certificates'), before + items.length);
    assert.ok(ticks > 0, 'timers run while the batch is signed and stored');
  });

  test('usedSerials names the serials a CA has already used, and only for that CA', async () => {
    const r = await issueBatch(svc.ctx, { caId, secret, profile: 'device-management', csrs: csrs.slice(0, 3) });
    const issued = r.issued.map((c) => c.serial);
    const fresh = ['7f' + '0'.repeat(30), '1' + 'a'.repeat(31)];
    assert.deepEqual([...usedSerials(svc.store.db, caId, [...fresh, ...issued])].sort(), [...issued].sort());
    assert.equal(usedSerials(svc.store.db, 'another-ca', issued).size, 0);
  });

  test('a fault after chunks were signed (a progress callback throwing) stores nothing', async () => {
    const items = [...csrs, ...csrs].map((c, i) => ({ ...c, source: `p${i}` }));
    const before = databaseFingerprint(svc.store.db);
    await assert.rejects(issueBatch(svc.ctx, { caId, secret, profile: 'device-management', csrs: items, onProgress: () => { throw new Error('progress display failed'); } }), /progress display failed/);
    assert.equal(databaseFingerprint(svc.store.db), before);
  });

  test('the pool serves other tasks during and after a batch', async () => {
    const key = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
    const tbs = Array.from({ length: 700 }, (_, i) => new Uint8Array(200).fill(i & 0xff));
    // Posted before the batch, answered between its chunks.
    const during = runTask<Uint8Array[]>({ kind: 'sign', key, hash: 'sha256', tbs }, tbs.length);
    const r = await issueBatch(svc.ctx, { caId, secret, profile: 'device-management', csrs });
    assert.equal(r.issued.length, COUNT);
    const afterwards = runTask<Uint8Array[]>({ kind: 'sign', key, hash: 'sha256', tbs }, tbs.length);
    for (const sigs of [await during, await afterwards]) {
      assert.equal(sigs.length, tbs.length);
      assert.ok(sigs.every((s, i) => verify('sha256', tbs[i], { key, dsaEncoding: 'der' }, s)));
    }
    const spki = new Uint8Array(new X509Certificate(caPem).publicKey.export({ type: 'spki', format: 'der' }));
    const bad = await runTask<number[]>({ kind: 'verify', signatureOid: '1.2.840.10045.4.3.2', issuerSpki: spki, tbs, signatures: await during }, tbs.length);
    assert.equal(bad.length, tbs.length, 'signatures by another key are all refused by the threads');
  });
});

describe('batch issuance with a token key (SoftHSM2)', () => {
  const available = softHsmAvailable();
  if (!available.ok) {
    test('token batch', { skip: available.reason }, () => {});
    return;
  }
  const hsm = createSoftHsmToken({ label: 'batch-ca' });
  process.env.SOFTHSM2_CONF = hsm.confPath;
  after(() => hsm.cleanup());

  test('signs on the token queue while another signMany on the same token also completes', async () => {
    const key = { kind: 'pkcs11' as const, modulePath: hsm.modulePath, tokenLabel: hsm.label, pin: hsm.pin };
    const ca = await svc.createRootCa({ name: 'CN=Token Root,O=Tests', algorithm: 'ecdsa-p256', key });
    const other = (await openKey(ca.keyUri, 'ecdsa-p256', { pin: hsm.pin }, svc.store.keysDir)) as Pkcs11Signer;
    try {
      const msgs = Array.from({ length: 3000 }, (_, i) => new Uint8Array(64).fill(i & 0xff));
      const concurrent = other.signMany(msgs); // the queue serializes it with the batch's chunks
      const r = await issueBatch(svc.ctx, { caId: ca.id, secret: { pin: hsm.pin }, profile: 'device-management', csrs });
      assert.equal(r.issued.length, COUNT);
      assertAllVerify(r, ca.certificatePem!, 'token');
      const spki = new X509Certificate(ca.certificatePem!).publicKey;
      const sigs = await concurrent;
      assert.ok(sigs.every((s, i) => verify('sha256', msgs[i], { key: spki, dsaEncoding: 'der' }, s)));
      // The session is left with no operation active: a plain sign still works.
      assert.ok(verify('sha256', Buffer.from('after'), { key: spki, dsaEncoding: 'der' }, await other.sign(Buffer.from('after'))));
      assert.equal(count("SELECT count(*) AS n FROM certificates WHERE ca_id = ? AND profile = 'device-management'", ca.id), COUNT);
    } finally {
      await other.close();
    }
  });

  test('a token signature that does not verify stops the batch after chunks were stored: nothing is committed', async () => {
    const key = { kind: 'pkcs11' as const, modulePath: hsm.modulePath, tokenLabel: hsm.label, pin: hsm.pin };
    const ca = await svc.createRootCa({ name: 'CN=Faulty Token Root,O=Tests', algorithm: 'ecdsa-p256', key });
    const items = Array.from({ length: 1100 }, (_, i) => ({ ...csrs[i % COUNT], source: `t${i}` }));
    // Fault injection on the real token: its second batch of signatures comes back with one altered.
    const signMany = Pkcs11Signer.prototype.signMany;
    let calls = 0;
    Pkcs11Signer.prototype.signMany = async function (this: Pkcs11Signer, tbs: Uint8Array[]) {
      const sigs = await signMany.call(this, tbs);
      if (++calls === 2) sigs[5] = Uint8Array.from(sigs[5], (b, i) => (i === sigs[5].length - 3 ? b ^ 0x01 : b));
      return sigs;
    };
    const before = databaseFingerprint(svc.store.db);
    try {
      await assert.rejects(issueBatch(svc.ctx, { caId: ca.id, secret: { pin: hsm.pin }, profile: 'device-management', csrs: items }), (e: ColdrootError) => {
        assert.equal(e.code, 'SIGNATURE_CHECK_FAILED');
        assert.match(e.message, /1 signatures made by pkcs11:.* do not verify/);
        return true;
      });
    } finally {
      Pkcs11Signer.prototype.signMany = signMany;
    }
    assert.equal(calls, 2);
    assert.equal(databaseFingerprint(svc.store.db), before);
  });
});
