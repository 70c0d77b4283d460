// TPM attestation end to end with swtpm + tpm2-tools: vendor roots, enrolment through a valid
// renewal request, a nonce in the renewal bundle, then — with every certificate of the device
// expired — recovery by a real quote, and each kind of bad proof rejected, audited and harmless.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ensureAttestationKey } from '../agent-bundle/src/agent/tpm/attestation-key.js';
import { tpmEnrolment } from '../agent-bundle/src/agent/tpm/tpm-enrolment.js';
import { tpmQuote, type TpmAttestationProof } from '../agent-bundle/src/agent/tpm/tpm-quote.js';
import { decodeEvidence, encodeEvidence } from '../core/attestation/attestation-evidence.js';
import { quoteQualifyingData } from '../core/attestation/tpm-quote.js';
import { addVendorRoots } from '../core/attestation/vendor-roots.js';
import { importBundle, type ImportOutcome } from '../core/bundles/bundle-import.js';
import type { SigningIdentity } from '../core/bundles/cms/cms-sign.js';
import { renewalRequestFile, type RenewalRequestInput } from '../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { derivedKey } from '../core/bundles/simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeTestBundle, type BundleTestKit, type TestDevice } from '../core/bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { fromPemOrDer, toPem } from '../core/x509/asn1.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { openssl } from './helpers/openssl.js';
import { createSwtpmLocalCa, startSwtpm, swtpmAvailable, type Swtpm, type SwtpmLocalCa } from './helpers/swtpm.js';

const available = swtpmAvailable();
if (!available.ok) console.log(`# skipping TPM tests: ${available.reason}`);

// swtpm's local CA dates its certificates with the real clock, so the console's injected clock
// starts at the next UTC midnight but one (a whole day, pinned, after the vendor CA exists).
const START = new Date((Math.floor(Date.now() / 86_400_000) + 2) * 86_400_000);
const DAY = 86_400_000;
const secret = { passphrase: TEST_PASSPHRASE };

let kit: BundleTestKit;
let ca: SwtpmLocalCa;
let tpmA: Swtpm; // dev-a's TPM
let tpmB: Swtpm; // dev-b's TPM
let tpmC: Swtpm; // same vendor, never enrolled
let devA: TestDevice;
let devB: TestDevice;
const nonces: Record<string, string> = {};
let seq = 0;
let n = 0;
const file = (name: string) => join(kit.dir, name);

const newCsr = async (name = devA.name) => buildCsr(new SoftwareSigner(derivedKey(41, `k${++n}`), 'ecdsa-p256', `software:k${n}`), `CN=${name}`);

async function send(signer: SigningIdentity, requests: RenewalRequestInput[]): Promise<ImportOutcome> {
  const name = `req-${++n}.tar`;
  await writeTestBundle(file(name), signer, 'renewal-request', ++seq, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: requests.length, json: await renewalRequestFile(requests) }], { createdAt: kit.clock.now });
  return importBundle(kit.svc.ctx, file(name));
}

const recovery = (host: string, csr: Uint8Array, proof: TpmAttestationProof, requestId = 'recover'): RenewalRequestInput =>
  ({ requestId, host, profile: 'device-management', reason: 'expiring', csr, proof });

function snapshot(): string {
  const db = kit.svc.store.db;
  return JSON.stringify(['bundles', 'renewal_requests', 'certificates', 'tpm_enrolments', 'attestation_nonces', 'tpm_vendor_certificates'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).raw().all()));
}

async function expectRejected(outcome: Promise<ImportOutcome>, code: string, message: string | RegExp): Promise<void> {
  const before = snapshot();
  const r = await outcome;
  assert.equal(r.status, 'rejected', JSON.stringify(r));
  if (r.status !== 'rejected') return;
  assert.equal(r.code, code, r.message);
  if (typeof message === 'string') assert.equal(r.message, message);
  else assert.match(r.message, message);
  assert.ok(r.quarantine);
  const audit = kit.svc.store.audit.list({ action: 'bundle.reject', order: 'desc', limit: 1 })[0];
  assert.deepEqual([audit.outcome, audit.details.message], [code, r.message]);
  assert.equal(snapshot(), before, 'a rejected bundle changes nothing but the audit trail');
}

function renewalInstructions(bundle: string): Array<{ host: string; attestationNonce?: string }> {
  const r = spawnSync('tar', ['-xOf', bundle, 'renewal.json'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout).instructions ?? [];
}

describe('TPM attestation with swtpm', { skip: available.ok ? false : available.reason }, () => {
  before(async () => {
    kit = await makeBundleTestKit('coldroot-tpm-', START);
    await kit.svc.createBundleSigner({ caId: kit.deviceCa.id, caSecret: secret, key: { kind: 'software', passphrase: 'signer passphrase' }, algorithm: 'ecdsa-p256', validity: '825d' });
    ca = createSwtpmLocalCa();
    tpmA = await startSwtpm({ ca });
    [tpmB, tpmC] = await Promise.all([startSwtpm({ ca }), startSwtpm({ ca })]);
    await tpmEnrolment(tpmC.tcti); // makes its attestation key; the console never hears of it
    devA = await kit.device('dev-a.fleet.example');
    devB = await kit.device('dev-b.fleet.example');
  });
  after(async () => {
    for (const t of [tpmA, tpmB, tpmC]) await t?.cleanup();
    ca?.cleanup();
    kit?.close();
  });

  test('the agent makes its attestation key once, persistent at 0x81010002, and leaves no transient object behind', async () => {
    const first = await ensureAttestationKey(tpmA.tcti);
    const again = await ensureAttestationKey(tpmA.tcti);
    assert.deepEqual([first.created, again.created, again.akPublic, again.akName], [true, false, first.akPublic, first.akName]);
    assert.match(first.akName, /^000b[0-9a-f]{64}$/);
    const env = { ...process.env, TPM2TOOLS_TCTI: tpmA.tcti };
    assert.match(spawnSync('tpm2_getcap', ['handles-persistent'], { env, encoding: 'utf8' }).stdout, /0x81010002/);
    assert.equal(spawnSync('tpm2_getcap', ['handles-transient'], { env, encoding: 'utf8' }).stdout.trim(), '');
    const e = await tpmEnrolment(tpmA.tcti);
    assert.equal(e.akPublic, first.akPublic);
    assert.match(openssl(['x509', '-noout', '-subject', '-issuer'], e.ekCertificate).stdout, /issuer=CN ?= ?swtpm-localca/);
  });

  test('enrolment before any vendor root is known: the EK is untrusted', async () => {
    const tpm = await tpmEnrolment(tpmA.tcti);
    await expectRejected(send(devA, [{ requestId: 'enrol', host: devA.name, profile: 'device-management', reason: 'expiring', csr: await newCsr(), proof: { kind: 'current-certificate', certificate: devA.certificate, key: devA.signer }, tpm }]),
      'BUNDLE_TPM_EK_UNTRUSTED', 'renewal-request.json requests.0 (enrol): the EK certificate (CN=unknown, issuer CN=swtpm-localca) does not chain to a TPM vendor root of this home: NO_VENDOR_ROOTS: this home has no TPM vendor roots (coldroot tpm add-vendor-root FILE)');
  });

  test('vendor roots: the local CA root and its issuing CA are added once, audited', () => {
    writeFileSync(file('vendor.pem'), ca.vendorCertificatesPem());
    const r = addVendorRoots(kit.svc.ctx, file('vendor.pem'));
    assert.deepEqual(r.added.map((a) => [a.kind, a.subject]), [['root', 'CN=swtpm-localca-rootca'], ['intermediate', 'CN=swtpm-localca']]);
    assert.deepEqual(addVendorRoots(kit.svc.ctx, file('vendor.pem')), { added: [], present: ['CN=swtpm-localca-rootca', 'CN=swtpm-localca'] });
    assert.equal(kit.svc.store.audit.list({ action: 'tpm.vendor-root.add' }).length, 1);
  });

  test('enrolment through valid renewal requests; one TPM cannot serve two hosts', async () => {
    const a = await send(devA, [{ requestId: 'enrol', host: devA.name, profile: 'device-management', reason: 'expiring', csr: await newCsr(), proof: { kind: 'current-certificate', certificate: devA.certificate, key: devA.signer }, tpm: await tpmEnrolment(tpmA.tcti) }]);
    assert.equal(a.status, 'accepted', JSON.stringify(a));
    const b = await send(devB, [{ requestId: 'enrol', host: devB.name, profile: 'device-management', reason: 'expiring', csr: await buildCsr(new SoftwareSigner(derivedKey(41, 'b'), 'ecdsa-p256', 'software:b'), `CN=${devB.name}`), proof: { kind: 'current-certificate', certificate: devB.certificate, key: devB.signer }, tpm: await tpmEnrolment(tpmB.tcti) }]);
    assert.equal(b.status, 'accepted', JSON.stringify(b));
    const rows = kit.svc.store.db.prepare('SELECT host, device_subject AS subject FROM tpm_enrolments ORDER BY host').all();
    assert.deepEqual(rows, [{ host: devA.name, subject: `CN=${devA.name}` }, { host: devB.name, subject: `CN=${devB.name}` }]);
    const audit = kit.svc.store.audit.list({ action: 'bundle.import', order: 'desc', limit: 1 })[0];
    assert.deepEqual((audit.details.tpm as { enrolled: Array<{ host: string }> }).enrolled.map((e) => e.host), [devB.name]);
    await expectRejected(send(devB, [{ requestId: 'steal', host: devB.name, profile: 'device-management', reason: 'expiring', csr: await newCsr(devB.name), proof: { kind: 'current-certificate', certificate: devB.certificate, key: devB.signer }, tpm: await tpmEnrolment(tpmA.tcti) }]),
      'BUNDLE_TPM_EK_IN_USE', /^renewal-request\.json requests\.0 \(steal\): this TPM \(EK sha256 [0-9a-f]{16}…\) is enrolled for host dev-a\.fleet\.example, not dev-b\.fleet\.example$/);
  });

  test('the renewal answering an enrolled host carries a fresh nonce, stored for 400 days', async () => {
    for (const [dev, name] of [[devA, 'renewal-a.tar'], [devB, 'renewal-b.tar']] as const) {
      const bundleId = (kit.svc.store.db.prepare("SELECT b.bundle_id AS id FROM renewal_requests r JOIN bundles b ON b.id = r.bundle_id WHERE r.host = ? AND r.status = 'pending'").get(dev.name) as { id: string }).id;
      const r = await kit.svc.exportRenewalBundle({ out: file(name), caId: kit.deviceCa.id, caSecret: secret, signerSecret: { passphrase: 'signer passphrase' }, requestBundle: bundleId });
      assert.equal(r.issued.length, 1);
      const ins = renewalInstructions(file(name));
      assert.equal(ins.length, 1);
      assert.equal(ins[0].host, dev.name);
      assert.match(ins[0].attestationNonce ?? '', /^[0-9a-f]{64}$/);
      nonces[dev.name] = ins[0].attestationNonce!;
      const row = kit.svc.store.db.prepare('SELECT host, issued_at AS issuedAt, expires_at AS expiresAt, used_at AS usedAt FROM attestation_nonces WHERE nonce = ?').get(nonces[dev.name]);
      assert.deepEqual(row, { host: dev.name, issuedAt: START.toISOString(), expiresAt: new Date(START.getTime() + 400 * DAY).toISOString(), usedAt: null });
    }
  });

  describe('370 days later: management certificates expired (and a 200-day bootstrap certificate too)', () => {
    let csr: Uint8Array;
    before(async () => {
      const boot = await kit.svc.issueCertificate({ caId: kit.deviceCa.id, secret, profile: 'device-bootstrap', validity: '200d', csr: await newCsr() });
      kit.clock.now = new Date(START.getTime() + 370 * DAY);
      assert.ok(new Date(boot.notAfter) < kit.clock.now);
      csr = await newCsr();
    });

    test('a forged quote (one byte flipped) is rejected', async () => {
      const p = await tpmQuote(tpmA.tcti, { nonceHex: nonces[devA.name], csrDer: csr });
      const e = decodeEvidence(p.attestation);
      assert.ok(e.ok);
      e.value.quote[50] ^= 0x01;
      await expectRejected(send(devA, [recovery(devA.name, csr, { kind: 'tpm-attestation', attestation: encodeEvidence(e.value) })]),
        'BUNDLE_TPM_QUOTE_INVALID', 'renewal-request.json requests.0 (recover): the quote signature (ecdsa, sha256) does not verify with the enrolled attestation key');
    });

    test("an unknown EK (another TPM of the same vendor) is rejected", async () => {
      await expectRejected(send(devA, [recovery(devA.name, csr, await tpmQuote(tpmC.tcti, { nonceHex: nonces[devA.name], csrDer: csr }))]),
        'BUNDLE_TPM_EK_UNKNOWN', /^renewal-request\.json requests\.0 \(recover\): the TPM \(EK sha256 [0-9a-f]{16}…\) chains to a vendor root but was never enrolled by a host of this home$/);
    });

    test("another host's TPM is rejected for this host", async () => {
      await expectRejected(send(devA, [recovery(devA.name, csr, await tpmQuote(tpmB.tcti, { nonceHex: nonces[devA.name], csrDer: csr }))]),
        'BUNDLE_TPM_WRONG_HOST', /^renewal-request\.json requests\.0 \(recover\): the TPM \(EK sha256 [0-9a-f]{16}…\) is enrolled for host dev-b\.fleet\.example, but the request is for dev-a\.fleet\.example$/);
    });

    test('a quote over a different CSR is rejected', async () => {
      const p = await tpmQuote(tpmA.tcti, { nonceHex: nonces[devA.name], csrDer: await newCsr() });
      await expectRejected(send(devA, [recovery(devA.name, csr, p)]), 'BUNDLE_TPM_QUOTE_MISMATCH', /: the quote's extraData is [0-9a-f]{64}, but SHA-256\(nonce \|\| SHA-256\(CSR\)\) is [0-9a-f]{64}: the quote was made for another nonce or another CSR$/);
    });

    test("another host's nonce is rejected", async () => {
      await expectRejected(send(devA, [recovery(devA.name, csr, await tpmQuote(tpmA.tcti, { nonceHex: nonces[devB.name], csrDer: csr }))]),
        'BUNDLE_TPM_NONCE_UNKNOWN', `renewal-request.json requests.0 (recover): nonce ${nonces[devB.name].slice(0, 16)}… was not issued by this console for host ${devA.name} (it was issued for ${devB.name})`);
    });

    test('an expired producer with any request not proven by the TPM is refused', async () => {
      await expectRejected(send(devA, [recovery(devA.name, csr, await tpmQuote(tpmA.tcti, { nonceHex: nonces[devA.name], csrDer: csr })),
        { requestId: 'plain', host: devA.name, profile: 'device-management', reason: 'expiring', csr: await newCsr(), proof: { kind: 'current-certificate', certificate: devA.certificate, key: devA.signer } }]),
      'BUNDLE_SIGNER_UNTRUSTED', `The producer certificate (CN=${devA.name}) has expired; an expired producer is accepted only for TPM recovery, but request plain proves itself with a current-certificate`);
    });

    test('a real quote recovers the device: accepted, nonce spent, certificate issued; tpm2_checkquote and openssl agree', async () => {
      const proof = await tpmQuote(tpmA.tcti, { nonceHex: nonces[devA.name], csrDer: csr });
      const r = await send(devA, [recovery(devA.name, csr, proof)]);
      assert.equal(r.status, 'accepted', JSON.stringify(r));
      const used = kit.svc.store.db.prepare('SELECT used_at AS usedAt, used_by_request AS req FROM attestation_nonces WHERE nonce = ?').get(nonces[devA.name]);
      assert.deepEqual(used, { usedAt: kit.clock.now.toISOString(), req: 'recover' });
      const audit = kit.svc.store.audit.list({ action: 'bundle.import', order: 'desc', limit: 1 })[0];
      assert.equal(audit.details.recovery, true);
      assert.deepEqual((audit.details.tpm as { attested: unknown[] }).attested, [{ host: devA.name, requestId: 'recover', nonce: nonces[devA.name] }]);

      const out = await kit.svc.exportRenewalBundle({ out: file('recovered.tar'), caId: kit.deviceCa.id, caSecret: secret, signerSecret: { passphrase: 'signer passphrase' }, requestBundle: r.status === 'accepted' ? r.bundleId : '' });
      assert.deepEqual(out.issued.map((i) => i.host), [devA.name]);
      assert.equal(Date.parse(out.issued[0].notAfter), kit.clock.now.getTime() + 365 * DAY - 1000); // notAfter is inclusive
      // The host gets its next nonce with the answer.
      assert.match(renewalInstructions(file('recovered.tar'))[0].attestationNonce ?? '', /^[0-9a-f]{64}$/);

      // Independent checks: tpm2_checkquote on the very quote, openssl on the issued certificate.
      const e = decodeEvidence(proof.attestation);
      assert.ok(e.ok);
      const enrolled = kit.svc.store.db.prepare('SELECT ak_public AS ak FROM tpm_enrolments WHERE host = ?').get(devA.name) as { ak: Buffer };
      writeFileSync(file('ak.pem'), toPem(new Uint8Array(enrolled.ak), 'PUBLIC KEY'));
      writeFileSync(file('quote.msg'), e.value.quote);
      writeFileSync(file('quote.sig'), e.value.signature);
      const qualifying = Buffer.from(quoteQualifyingData(e.value.nonce, csr)).toString('hex');
      const check = (q: string) => spawnSync('tpm2_checkquote', ['-u', file('ak.pem'), '-m', file('quote.msg'), '-s', file('quote.sig'), '-g', 'sha256', '-q', q], { encoding: 'utf8' });
      assert.equal(check(qualifying).status, 0, check(qualifying).stderr);
      assert.notEqual(check('00'.repeat(32)).status, 0);
      const cert = spawnSync('tar', ['-xOf', file('recovered.tar'), `certs/recover.pem`], { encoding: 'utf8' }).stdout;
      writeFileSync(file('issued.pem'), cert);
      writeFileSync(file('chain.pem'), spawnSync('tar', ['-xOf', file('recovered.tar'), 'chain.pem'], { encoding: 'utf8' }).stdout);
      const v = openssl(['verify', '-attime', String(Math.floor(kit.clock.now.getTime() / 1000) + 60), '-CAfile', file('chain.pem'), file('issued.pem')]);
      assert.equal(v.code, 0, v.stderr);
      assert.match(openssl(['x509', '-in', file('issued.pem'), '-noout', '-subject']).stdout, new RegExp(`CN ?= ?${devA.name.replace(/\./g, '\\.')}`));
    });

    test('the same nonce a second time is a replay', async () => {
      const other = await newCsr();
      await expectRejected(send(devA, [recovery(devA.name, other, await tpmQuote(tpmA.tcti, { nonceHex: nonces[devA.name], csrDer: other }), 'again')]),
        'BUNDLE_TPM_NONCE_REPLAYED', `renewal-request.json requests.0 (again): nonce ${nonces[devA.name].slice(0, 16)}… was already used at ${kit.clock.now.toISOString()} (request recover)`);
    });

    test('a nonce past its 400 days is expired', async () => {
      kit.clock.now = new Date(START.getTime() + 401 * DAY);
      const c = await buildCsr(new SoftwareSigner(derivedKey(41, 'b2'), 'ecdsa-p256', 'software:b2'), `CN=${devB.name}`);
      await expectRejected(send(devB, [recovery(devB.name, c, await tpmQuote(tpmB.tcti, { nonceHex: nonces[devB.name], csrDer: c }))]),
        'BUNDLE_TPM_NONCE_EXPIRED', `renewal-request.json requests.0 (recover): nonce ${nonces[devB.name].slice(0, 16)}… expired at ${new Date(START.getTime() + 400 * DAY).toISOString()} (issued ${START.toISOString()}; console time ${kit.clock.now.toISOString()})`);
    });
  });
});
