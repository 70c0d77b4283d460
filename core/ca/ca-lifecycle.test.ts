// CA operations through the API with an injected clock: validity capping, expiry, profiles,
// serial uniqueness, the external-parent intermediate and CA import.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ConsoleService } from '../api/console-service.js';
import type { ColdrootError } from '../errors.js';
import { generateKeyObject } from '../keys/software-key-store.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { databaseFingerprint } from '../store/database.js';
import { toPem } from '../x509/asn1.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { buildCsr } from '../x509/csr-builder.js';
import { parseProfile } from './profiles/certificate-profile.js';

const T0 = new Date('2026-03-01T12:00:00Z');
let now = T0;
let realClock = false; // openssl signs with the real clock; those tests follow it
const dir = mkdtempSync(join(tmpdir(), 'coldroot-ca-'));
const PASS = 'lifecycle test passphrase';
const secret = { passphrase: PASS };
const key = { kind: 'software' as const, passphrase: PASS };
let svc: ConsoleService;
let root: Awaited<ReturnType<ConsoleService['createRootCa']>>;
let sub: typeof root;

async function csr(subject: string, sans: { dns?: string[]; ip?: string[] } = {}, alg: 'ecdsa-p256' | 'rsa-3072' = 'ecdsa-p256'): Promise<string> {
  const s = new SoftwareSigner(generateKeyObject(alg), alg, 'software:subject');
  return toPem(await buildCsr(s, subject, sans), 'CERTIFICATE REQUEST');
}

function rejects(code: string) {
  return (e: ColdrootError) => {
    assert.equal(e.code, code, e.message);
    return true;
  };
}

before(async () => {
  svc = ConsoleService.open({ home: join(dir, 'home'), operator: 'alice', create: true, now: () => (realClock ? new Date() : now) });
  svc.initialize();
  root = await svc.createRootCa({ name: 'CN=Clock Root,O=Tests', algorithm: 'ecdsa-p256', key, validityDays: 30 });
  sub = await svc.createIntermediateCa({ name: 'CN=Clock Issuing,O=Tests', algorithm: 'ecdsa-p256', key, parentId: root.id, parentSecret: secret });
});

after(() => {
  svc.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('validity', () => {
  test('an intermediate and its leaves never outlive the root', async () => {
    assert.equal(root.notBefore, T0.toISOString());
    assert.equal(sub.notAfter, root.notAfter, 'the 10-year default is capped at the 30-day root');
    const c = await svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr: await csr('CN=a.example', { dns: ['a.example'] }) });
    assert.equal(c.notAfter, root.notAfter);
  });

  test('the emergency profile is short-lived and refuses more than its maximum', async () => {
    const c = await svc.issueCertificate({ caId: sub.id, secret, profile: 'emergency', csr: await csr('CN=e.example', { dns: ['e.example'] }) });
    assert.equal(Date.parse(c.notAfter) - Date.parse(c.notBefore), 24 * 3600_000 - 1000);
    await assert.rejects(svc.issueCertificate({ caId: sub.id, secret, profile: 'emergency', validity: '8d', csr: await csr('CN=f.example', { dns: ['f.example'] }) }), rejects('VALIDITY_TOO_LONG'));
  });

  test('an expired parent cannot sign, and the database is untouched', async () => {
    now = new Date(Date.parse(root.notAfter!) + 1000);
    try {
      const before = databaseFingerprint(svc.store.db);
      await assert.rejects(svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr: await csr('CN=late.example', { dns: ['late.example'] }) }), rejects('CA_EXPIRED'));
      await assert.rejects(svc.publishCrl({ caId: root.id, secret }), rejects('CA_EXPIRED'));
      assert.equal(databaseFingerprint(svc.store.db), before);
    } finally {
      now = T0;
    }
  });
});

describe('profiles', () => {
  test('tls-server: SAN required, CN must be a SAN, RSA keys get keyEncipherment', async () => {
    await assert.rejects(svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr: await csr('CN=nosan.example') }), rejects('SAN_REQUIRED'));
    await assert.rejects(svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr: await csr('CN=other.example', { dns: ['x.example'] }) }), rejects('CN_NOT_IN_SAN'));
    const rsa = await svc.issueCertificate({ caId: sub.id, secret, profile: 'tls-server', csr: await csr('CN=rsa.example', { dns: ['rsa.example'] }, 'rsa-3072') });
    assert.deepEqual(describeCertificate(Buffer.from(rsa.certificatePem.replace(/-----[A-Z ]+-----|\s/g, ''), 'base64')).keyUsage, ['digitalSignature', 'keyEncipherment']);
  });

  test('device-management is 365 days and takes a CSR without SANs', async () => {
    now = new Date('2026-03-01T12:00:00Z');
    const bigRoot = await svc.createRootCa({ name: 'CN=Long Root,O=Tests', algorithm: 'ecdsa-p256', key });
    const c = await svc.issueCertificate({ caId: bigRoot.id, secret, profile: 'device-management', csr: await csr('CN=device-42') });
    assert.equal((Date.parse(c.notAfter) - Date.parse(c.notBefore) + 1000) / 86_400_000, 365);
  });

  test('custom profiles are parsed strictly', () => {
    const base = { name: 'web', kind: 'leaf', validity: { default: '30d', max: '90d' }, keyUsage: ['digitalSignature'], allowedKeyTypes: ['ecdsa-p256'] };
    assert.equal(parseProfile(base, 'web.json').name, 'web');
    assert.throws(() => parseProfile({ ...base, colour: 'blue' }, 'web.json'), (e: ColdrootError) => e.code === 'PROFILE_INVALID' && /colour/.test(e.message));
    assert.throws(() => parseProfile({ ...base, validity: { default: '100d', max: '90d' } }, 'web.json'), (e: ColdrootError) => /exceeds/.test(e.message));
    assert.throws(() => parseProfile({ ...base, keyUsage: ['keyCertSign'] }, 'web.json'), (e: ColdrootError) => /leaf profile/.test(e.message));
    assert.throws(() => parseProfile({ ...base, allowedKeyTypes: ['dsa-1024'] }, 'web.json'), (e: ColdrootError) => /allowedKeyTypes/.test(e.message));
  });
});

describe('serials', () => {
  test('200 issued serials are unique 128-bit positive integers', async () => {
    const big = await svc.createRootCa({ name: 'CN=Serial Root', algorithm: 'ecdsa-p256', key });
    const seen = new Set<string>();
    const req = await csr('CN=s.example', { dns: ['s.example'] });
    for (let i = 0; i < 200; i++) {
      const c = await svc.issueCertificate({ caId: big.id, secret, profile: 'tls-server', csr: req });
      assert.match(c.serial, /^[1-9a-f][0-9a-f]{30,31}$/);
      seen.add(c.serial);
    }
    assert.equal(seen.size, 200);
  });
});

describe('CAs whose parent is elsewhere, and imported CAs', () => {
  before(() => { realClock = true; });
  after(() => { realClock = false; });
  test('request-intermediate makes a CSR; the certificate an openssl root signs is imported and used', async () => {
    const pending = await svc.requestIntermediateCa({ name: 'CN=Offsite Intermediate,O=Tests', algorithm: 'ecdsa-p384', key });
    assert.equal(pending.status, 'awaiting-certificate');
    writeFileSync(join(dir, 'req.csr'), pending.csrPem!);
    execFileSync('openssl', ['req', '-in', join(dir, 'req.csr'), '-verify', '-noout'], { stdio: 'pipe' });
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ext.key'), '-out', join(dir, 'ext.pem'), '-subj', '/CN=External Root', '-days', '3650'], { stdio: 'pipe' });
    writeFileSync(join(dir, 'ext.cnf'), 'basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\nsubjectKeyIdentifier=hash\n');
    execFileSync('openssl', ['x509', '-req', '-in', join(dir, 'req.csr'), '-CA', join(dir, 'ext.pem'), '-CAkey', join(dir, 'ext.key'), '-CAcreateserial', '-days', '365', '-extfile', join(dir, 'ext.cnf'), '-out', join(dir, 'offsite.pem')], { stdio: 'pipe' });
    const active = svc.importCaCertificate({ caId: pending.id, certificate: readFileSync(join(dir, 'offsite.pem')) });
    assert.equal(active.status, 'active');
    const c = await svc.issueCertificate({ caId: active.id, secret, profile: 'tls-client', csr: await csr('CN=client-1') });
    writeFileSync(join(dir, 'client.pem'), c.certificatePem);
    execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ext.pem'), '-untrusted', join(dir, 'offsite.pem'), '-purpose', 'sslclient', join(dir, 'client.pem')], { stdio: 'pipe' });
    assert.throws(() => svc.importCaCertificate({ caId: pending.id, certificate: readFileSync(join(dir, 'offsite.pem')) }), rejects('CA_NOT_AWAITING_CERTIFICATE'));
  });

  test('an existing CA (certificate + key file) is imported; a key that does not match is refused', async () => {
    const r = await svc.importCa({ certificate: readFileSync(join(dir, 'ext.pem')), key: { kind: 'software-file', pem: readFileSync(join(dir, 'ext.key'), 'utf8'), passphrase: PASS } });
    assert.equal(r.kind, 'root');
    const c = await svc.issueCertificate({ caId: r.id, secret, profile: 'code-signing', csr: await csr('CN=builder') });
    writeFileSync(join(dir, 'code.pem'), c.certificatePem);
    execFileSync('openssl', ['verify', '-CAfile', join(dir, 'ext.pem'), join(dir, 'code.pem')], { stdio: 'pipe' });
    const other = generateKeyObject('ecdsa-p256').export({ type: 'pkcs8', format: 'pem' }) as string;
    const before = databaseFingerprint(svc.store.db);
    await assert.rejects(svc.importCa({ certificate: readFileSync(join(dir, 'offsite.pem')), key: { kind: 'software-file', pem: other, passphrase: PASS } }), rejects('DUPLICATE_CA_NAME'));
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'o.key'), '-out', join(dir, 'o.pem'), '-subj', '/CN=Other Root', '-days', '30'], { stdio: 'pipe' });
    await assert.rejects(svc.importCa({ certificate: readFileSync(join(dir, 'o.pem')), key: { kind: 'software-file', pem: other, passphrase: PASS } }), rejects('KEY_MISMATCH'));
    assert.equal(databaseFingerprint(svc.store.db), before);
  });
});

describe('audit', () => {
  test('every change above is one audit entry by the acting operator, and the chain verifies', () => {
    const report = svc.auditVerify();
    assert.equal(report.ok, true);
    const rows = svc.store.db.prepare('SELECT actor, action FROM audit_entries ORDER BY seq').all() as { actor: string; action: string }[];
    assert.ok(rows.every((r) => r.actor === 'alice'));
    const issued = (svc.store.db.prepare("SELECT count(*) AS n FROM certificates WHERE profile NOT IN ('root-ca', 'intermediate-ca')").get() as { n: number }).n;
    assert.equal(rows.filter((r) => r.action === 'cert.issue').length, issued);
  });
});
