import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBundle, type ImportOutcome } from '../bundles/bundle-import.js';
import type { SigningIdentity } from '../bundles/cms/cms-sign.js';
import { renewalRequestFile, type RenewalRequestInput } from '../bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../bundles/payloads/renewal-request.js';
import { derivedKey } from '../bundles/simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeMetricsBundle, writeTestBundle, type BundleTestKit, type TestDevice } from '../bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { fromPemOrDer } from '../x509/asn1.js';
import { buildCsr } from '../x509/csr-builder.js';

/*
 * The console's checks of renewal-request proofs at import (request-proofs.ts): each rejection
 * with its exact message, quarantined, audited, and nothing else stored.
 */

let kit: BundleTestKit;
let dev: TestDevice;
let other: TestDevice;
let seq = 0;
let n = 0;
const file = (name: string) => join(kit.dir, name);
const key = (name: string) => new SoftwareSigner(derivedKey(31, name), 'ecdsa-p256', `software:${name}`);
const secret = { passphrase: TEST_PASSPHRASE };

async function issue(name: string, cn: string, profile: string, validity?: string): Promise<SigningIdentity & { serial: string }> {
  const signer = key(name);
  const c = await kit.svc.issueCertificate({ caId: kit.deviceCa.id, secret, profile, validity, csr: await buildCsr(signer, `CN=${cn}`) });
  return { signer, certificate: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], chain: [fromPemOrDer(kit.deviceCa.certificatePem!, ['CERTIFICATE'])[0]], serial: c.serial };
}

/** Everything but the audit trail, to show a rejected bundle changed nothing. */
function snapshot(): string {
  const db = kit.svc.store.db;
  return JSON.stringify(['bundles', 'renewal_requests', 'certificates', 'tpm_enrolments', 'attestation_nonces'].map((t) => db.prepare(`SELECT * FROM ${t} ORDER BY rowid`).raw().all()));
}

async function send(signer: SigningIdentity, requests: Array<Omit<RenewalRequestInput, 'requestId' | 'profile' | 'reason'> & { reason?: RenewalRequestInput['reason'] }>): Promise<ImportOutcome> {
  const payload = await renewalRequestFile(requests.map((r, i) => ({ requestId: `r${i + 1}`, profile: 'device-management', reason: 'expiring', ...r })));
  const name = `req-${++n}.tar`;
  await writeTestBundle(file(name), signer, 'renewal-request', ++seq, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: requests.length, json: payload }], { createdAt: kit.clock.now });
  return importBundle(kit.svc.ctx, file(name));
}

async function expectRejected(outcome: Promise<ImportOutcome>, code: string, message: string): Promise<void> {
  const before = snapshot();
  const r = await outcome;
  assert.equal(r.status, 'rejected', JSON.stringify(r));
  if (r.status !== 'rejected') return;
  assert.equal(r.code, code);
  assert.equal(r.message, message);
  assert.ok(r.quarantine, 'quarantined');
  const last = kit.svc.store.audit.list({ action: 'bundle.reject', order: 'desc', limit: 1 })[0];
  assert.equal(last.details.message, message.slice(0, 2000));
  assert.equal(last.outcome, code);
  assert.equal(snapshot(), before);
}

const csrFor = async (cn: string, name = `new-${cn}-${n}`) => buildCsr(key(name), `CN=${cn}`);

before(async () => {
  kit = await makeBundleTestKit('coldroot-proofs-');
  dev = await kit.device('dev-a.fleet.example');
  other = await kit.device('dev-b.fleet.example');
});
after(() => kit.close());

describe('current-certificate proofs', () => {
  test('a valid current certificate of the producer is accepted', async () => {
    const r = await send(dev, [{ host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: dev.certificate, key: dev.signer } }]);
    assert.equal(r.status, 'accepted', JSON.stringify(r));
  });

  test('regression: a renewal request whose proof is a revoked current certificate is rejected', async () => {
    const old = await issue('old-a', dev.name, 'device-management');
    kit.svc.revokeCertificate({ caId: kit.deviceCa.id, serial: old.serial, reason: 'keyCompromise' });
    const row = kit.svc.store.db.prepare('SELECT revoked_at AS at, revocation_reason AS reason FROM certificates WHERE serial = ?').get(old.serial) as { at: string; reason: string };
    await expectRejected(send(dev, [{ host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: old.certificate, key: old.signer } }]), 'BUNDLE_PROOF_REVOKED',
      `renewal-request.json requests.0 (r1): the current certificate (CN=${dev.name}, serial ${old.serial}) of CA '${kit.deviceCa.id}' was revoked at ${row.at} (reason ${row.reason})`);
  });

  test('a certificate this home did not issue is unknown', async () => {
    const foreign = await kit.foreignDevice(dev.name);
    await expectRejected(send(dev, [{ host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: foreign.certificate, key: foreign.signer } }]), 'BUNDLE_PROOF_UNKNOWN',
      `renewal-request.json requests.0 (r1): the current certificate (CN=${dev.name}, serial ${foreign.serial}) is not in this home's inventory`);
  });

  test("another host's certificate does not prove this producer's request", async () => {
    await expectRejected(send(dev, [{ host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: other.certificate, key: other.signer } }]), 'BUNDLE_PROOF_MISMATCH',
      `renewal-request.json requests.0 (r1): the CSR asks for CN '${dev.name}', but the current certificate (CN=${other.name}) is for CN '${other.name}'`);
  });

  test('an expired current certificate is rejected, and an expired producer is let in for TPM recovery only', async () => {
    const short = await issue('short-a', dev.name, 'device-management', '1d');
    const notAfter = kit.svc.store.db.prepare('SELECT not_after AS t FROM certificates WHERE serial = ?').get(short.serial) as { t: string };
    const start = kit.clock.now;
    kit.clock.now = new Date(start.getTime() + 2 * 86_400_000);
    try {
      await expectRejected(send(dev, [{ host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: short.certificate, key: short.signer } }]), 'BUNDLE_PROOF_EXPIRED',
        `renewal-request.json requests.0 (r1): the current certificate (CN=${dev.name}, serial ${short.serial}) expired at ${notAfter.t} (console time ${kit.clock.now.toISOString()})`);
      await expectRejected(send(short, [{ host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: short.certificate, key: short.signer } }]), 'BUNDLE_SIGNER_UNTRUSTED',
        `The producer certificate (CN=${dev.name}) has expired; an expired producer is accepted only for TPM recovery, but request r1 proves itself with a current-certificate`);
      // Every other bundle type from an expired producer stays refused as before.
      const before = snapshot();
      await writeMetricsBundle(file('expired-metrics.tar'), short, { sequence: ++seq, createdAt: kit.clock.now });
      const m = await importBundle(kit.svc.ctx, file('expired-metrics.tar'));
      assert.equal(m.status === 'rejected' && m.code, 'BUNDLE_SIGNER_UNTRUSTED');
      assert.match(m.status === 'rejected' ? m.message : '', /does not chain to a CA of this home: EXPIRED: certificate 'CN=dev-a.fleet.example' expired at/);
      assert.equal(snapshot(), before);
    } finally {
      kit.clock.now = start;
    }
  });
});

describe('bootstrap-certificate proofs', () => {
  let boot: SigningIdentity & { serial: string };
  before(async () => { boot = await issue('boot-a', dev.name, 'device-bootstrap'); });

  test('a bundle signed with the bootstrap certificate, proof signed by its key, is accepted', async () => {
    const r = await send(boot, [{ host: dev.name, reason: 'bootstrap', csr: await csrFor(dev.name), proof: { kind: 'bootstrap-certificate', certificate: boot.certificate, key: boot.signer } }]);
    assert.equal(r.status, 'accepted', JSON.stringify(r));
  });

  test('a certificate of another profile is not a bootstrap certificate', async () => {
    await expectRejected(send(dev, [{ host: dev.name, reason: 'bootstrap', csr: await csrFor(dev.name), proof: { kind: 'bootstrap-certificate', certificate: dev.certificate, key: dev.signer } }]), 'BUNDLE_PROOF_NOT_BOOTSTRAP',
      `renewal-request.json requests.0 (r1): the bootstrap certificate (CN=${dev.name}, serial ${dev.serial}) was issued under profile 'device-management', not 'device-bootstrap'`);
  });

  test('the CSR must ask for the bootstrap certificate\'s CN', async () => {
    await expectRejected(send(boot, [{ host: dev.name, reason: 'bootstrap', csr: await csrFor('someone-else.fleet.example'), proof: { kind: 'bootstrap-certificate', certificate: boot.certificate, key: boot.signer } }]), 'BUNDLE_PROOF_MISMATCH',
      `renewal-request.json requests.0 (r1): the CSR asks for CN 'someone-else.fleet.example', but the bootstrap certificate is for CN '${dev.name}'`);
  });

  test('without a signature, the bundle must be signed with the bootstrap certificate', async () => {
    await expectRejected(send(dev, [{ host: dev.name, reason: 'bootstrap', csr: await csrFor(dev.name), proof: { kind: 'bootstrap-certificate', certificate: boot.certificate } }]), 'BUNDLE_PROOF_UNSIGNED',
      'renewal-request.json requests.0 (r1): the bootstrap proof has no signature over the CSR and the bundle is not signed with the bootstrap certificate, so nothing shows the requester holds its key');
  });

  test('a revoked bootstrap certificate is rejected', async () => {
    const b2 = await issue('boot-a2', dev.name, 'device-bootstrap');
    kit.svc.revokeCertificate({ caId: kit.deviceCa.id, serial: b2.serial, reason: 'superseded' });
    const at = (kit.svc.store.db.prepare('SELECT revoked_at AS at FROM certificates WHERE serial = ?').get(b2.serial) as { at: string }).at;
    await expectRejected(send(dev, [{ host: dev.name, reason: 'bootstrap', csr: await csrFor(dev.name), proof: { kind: 'bootstrap-certificate', certificate: b2.certificate, key: b2.signer } }]), 'BUNDLE_PROOF_REVOKED',
      `renewal-request.json requests.0 (r1): the bootstrap certificate (CN=${dev.name}, serial ${b2.serial}) of CA '${kit.deviceCa.id}' was revoked at ${at} (reason superseded)`);
  });

  test('one bad request rejects the whole bundle, the good one included', async () => {
    await expectRejected(send(dev, [
      { host: dev.name, csr: await csrFor(dev.name), proof: { kind: 'current-certificate', certificate: dev.certificate, key: dev.signer } },
      { host: dev.name, reason: 'bootstrap', csr: await csrFor(dev.name, 'x2'), proof: { kind: 'bootstrap-certificate', certificate: dev.certificate, key: dev.signer } },
    ]), 'BUNDLE_PROOF_NOT_BOOTSTRAP', `renewal-request.json requests.1 (r2): the bootstrap certificate (CN=${dev.name}, serial ${dev.serial}) was issued under profile 'device-management', not 'device-bootstrap'`);
  });
});
