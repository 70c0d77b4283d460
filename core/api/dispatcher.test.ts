import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { ConsoleService } from './console-service.js';
import { handlers } from './console-handlers.js';
import { api, OP_NAMES, type ApiResult, type Out } from './contract.js';
import { ConsoleDispatcher } from './dispatcher.js';
import { StagingArea } from './staging-area.js';
import { DEMO_PASSPHRASE } from './demo-fleet.js';

const PASS = 'dispatcher test passphrase';
const value = <T>(r: ApiResult<T>): T => {
  if (!r.ok) throw new Error(`${r.error.code}: ${r.error.message}`);
  return r.value;
};

describe('console contract and dispatcher', () => {
  let dir: string;
  let svc: ConsoleService;
  let d: ConsoleDispatcher;
  const faults: string[] = [];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'coldroot-dispatch-'));
    svc = ConsoleService.open({ home: join(dir, 'home'), operator: 'tester', create: true });
    svc.initialize();
    d = new ConsoleDispatcher(svc, { staging: new StagingArea(join(dir, 'stage'), 1024 * 1024), host: 'browser', version: 'test', onInternalError: (op, e) => faults.push(`${op}: ${String(e)}`) });
  });
  after(() => {
    svc.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('every operation of the contract has a handler and nothing else does', () => {
    assert.deepEqual(Object.keys(handlers).sort(), [...OP_NAMES].sort());
    for (const name of OP_NAMES) assert.ok(['read', 'write'].includes(api[name].access), name);
  });

  test('inputs are parsed strictly; the failing field is named and a secret is never echoed', async () => {
    const r = await d.dispatch('createRootCa', { draft: { kind: 'root', name: 'CN=X', algorithm: 'ecdsa-p256', keyStorage: 'software', colour: 'red' }, keySecret: 'hunter2-sekret-value' });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.error, { code: 'INPUT_INVALID', message: 'createRootCa: draft: Unrecognized key: "colour"', hint: 'Correct the highlighted field and try again' });
    const short = await d.dispatch('createRootCa', { draft: { kind: 'root', name: 'CN=Short Pass Root', algorithm: 'ecdsa-p256', keyStorage: 'software' }, keySecret: 'hunter2' });
    assert.equal(!short.ok && short.error.code, 'PASSPHRASE_TOO_SHORT');
    assert.ok(!JSON.stringify(short).includes('hunter2'), 'the passphrase is not echoed');
    assert.deepEqual(await d.dispatch('nope', {}), { ok: false, error: { code: 'UNKNOWN_OPERATION', message: "No console operation named 'nope'", hint: 'The console and its host are different versions; restart the console' } });
  });

  test('the review shows what the ceremony then signs: root and intermediate, extension by extension', async () => {
    const rootDraft = { kind: 'root' as const, name: 'CN=Review Root CA,O=Coldroot Tests', algorithm: 'ecdsa-p384' as const, keyStorage: 'software' as const, validityDays: 3650 };
    const interDraft = {
      kind: 'intermediate' as const, parentId: 'review-root-ca', name: 'CN=Review Issuing CA,O=Coldroot Tests', algorithm: 'ecdsa-p256' as const, keyStorage: 'software' as const,
      permittedDns: ['example.com'], excludedDns: ['bad.example.com'], crlUrl: 'http://pki.example/issuing.crl',
    };
    for (const draft of [rootDraft, interDraft]) {
      const preview = value(await d.dispatch('previewCa', { draft })) as Out<'previewCa'>;
      const ca = value(await d.dispatch(draft.kind === 'root' ? 'createRootCa' : 'createIntermediateCa', { draft, keySecret: PASS, ...(draft.kind === 'intermediate' ? { parentSecret: { passphrase: PASS } } : {}) })) as Out<'createRootCa'>;
      const issuedBy = draft.kind === 'root' ? ca.id : 'review-root-ca';
      const cert = value(await d.dispatch('getCertificate', { caId: issuedBy, serial: ca.serial! })) as Out<'getCertificate'>;
      assert.equal(cert.fields.subject, preview.subject);
      assert.equal(cert.fields.issuer, preview.issuer);
      assert.equal(cert.fields.signatureAlgorithm, preview.signatureAlgorithm);
      assert.ok(Math.abs(Date.parse(cert.fields.notAfter) - Date.parse(preview.notAfter)) < 5000, 'notAfter as reviewed');
      const comparable = (e: { oid: string; critical: boolean; value: string[] }) => ({ oid: e.oid, critical: e.critical, value: e.oid === '2.5.29.14' ? ['(key)'] : e.value });
      assert.deepEqual(cert.extensions.map(comparable), preview.extensions.map(comparable), `${draft.kind}: extensions as reviewed`);
    }
    const inter = value(await d.dispatch('getCertificate', { caId: 'review-root-ca', serial: svc.showCa('review-issuing-ca').serial! })) as Out<'getCertificate'>;
    assert.deepEqual(inter.extensions.find((e) => e.name === 'Name Constraints')?.value, ['permitted: DNS:example.com', 'excluded: DNS:bad.example.com']);
  });

  test('the certificate detail decodes what openssl decodes', async () => {
    const pem = svc.exportCa('review-issuing-ca', false);
    const detail = value(await d.dispatch('getCertificate', { caId: 'review-root-ca', serial: svc.showCa('review-issuing-ca').serial! })) as Out<'getCertificate'>;
    writeFileSync(join(dir, 'inter.pem'), pem);
    const text = spawnSync('openssl', ['x509', '-in', join(dir, 'inter.pem'), '-noout', '-text', '-fingerprint', '-sha256'], { encoding: 'utf8' }).stdout;
    assert.ok(text.includes(detail.fields.serialHex), 'serial');
    assert.ok(text.toLowerCase().includes(detail.fingerprints.sha256), 'sha-256 fingerprint');
    assert.match(text, /X509v3 Basic Constraints: critical\s+CA:TRUE, pathlen:0/);
    assert.deepEqual(detail.extensions.find((e) => e.oid === '2.5.29.19')?.value, ['CA: TRUE', 'pathLenConstraint: 0']);
    assert.match(text, /Certificate Sign, CRL Sign/);
    assert.deepEqual(detail.extensions.find((e) => e.oid === '2.5.29.15')?.value, ['digitalSignature', 'keyCertSign', 'cRLSign']);
    assert.equal(detail.fields.publicKey.parameters, 'P-256 (prime256v1)');
    assert.match(text, /ASN1 OID: prime256v1/);
    assert.equal(detail.mismatch, null);
  });

  test('writes run one at a time: a second ceremony for the same name waits, then is refused by name', async () => {
    const draft = { kind: 'root' as const, name: 'CN=Twice Root CA', algorithm: 'ecdsa-p256' as const, keyStorage: 'software' as const };
    const [a, b] = await Promise.all([d.dispatch('createRootCa', { draft, keySecret: PASS }), d.dispatch('createRootCa', { draft, keySecret: PASS })]);
    assert.equal(a.ok, true);
    assert.equal(!b.ok && b.error.code, 'DUPLICATE_CA_NAME');
    assert.deepEqual(faults, []);
  });

  test('outputs cross as their schema says: nothing undeclared (no DER, no key material)', async () => {
    const session = value(await d.dispatch('session', {}));
    assert.deepEqual(Object.keys(session as object).sort(), ['cas', 'certificates', 'firstRun', 'home', 'host', 'operator', 'version']);
    const cas = value(await d.dispatch('overview', {})) as Out<'overview'>;
    assert.ok(cas.cas.every((c) => !('publicKeySpki' in c) && !('certificatePem' in c)));
  });

  test('the demo fleet reports progress, imports its bundles and leaves one to import by hand', async () => {
    const seen: string[] = [];
    const run = d.dispatch('loadDemoFleet', { hosts: 4 }, 'demo-call');
    const poll = setInterval(async () => {
      const p = await d.dispatch('progress', { callId: 'demo-call' });
      if (p.ok && p.value) seen.push((p.value as Out<'progress'> & object).message);
    }, 5);
    const fleet = value(await run) as Out<'loadDemoFleet'>;
    clearInterval(poll);
    assert.ok(seen.length > 0, 'progress was reported while the fleet was made');
    assert.ok(seen.every((m) => /^(creating the demo|issuing device|revoking two|writing the metrics bundle of day [123] of 3|writing risk reports|importing 4 bundles|done)/.test(m)), seen.join(' | '));
    assert.deepEqual({ hosts: fleet.hosts, certificates: fleet.certificates, revoked: fleet.revoked, bundles: fleet.bundlesImported, passphrase: fleet.passphrase }, { hosts: 4, certificates: 11, revoked: 2, bundles: 4, passphrase: DEMO_PASSPHRASE });
    assert.equal(readdirSync(fleet.inbox).filter((f) => f.endsWith('.tar')).length, 1);
    const requests = value(await d.dispatch('listRenewalRequests', {})) as Out<'listRenewalRequests'>;
    assert.equal(requests.filter((r) => r.status === 'pending').length, 3);
    const audit = value(await d.dispatch('verifyAudit', {})) as Out<'verifyAudit'>;
    assert.equal(audit.ok, true);
    const page = value(await d.dispatch('queryCertificates', { risk: 'critical' })) as Out<'queryCertificates'>;
    assert.equal(page.total, 1);
    // Regression: a serial whose first octet has the top bit set is encoded with a leading 00, which is not part of the number.
    const all = value(await d.dispatch('queryCertificates', { caId: fleet.deviceCaId, limit: 500 })) as Out<'queryCertificates'>;
    // (Nine random serials: all nine miss the top bit once in 512 runs.)
    for (const r of all.rows) {
      const detail = value(await d.dispatch('getCertificate', { caId: r.caId, serial: r.serial })) as Out<'getCertificate'>;
      assert.equal(detail.fields.serialHex.replace(/:/g, '').replace(/^0+(?=.)/, ''), r.serial);
      assert.ok(!detail.fields.serialHex.startsWith('00:'), detail.fields.serialHex);
      assert.equal(detail.mismatch, null);
    }
  });
});
