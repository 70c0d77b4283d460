import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { databaseFingerprint } from '../store/database.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { fromPemOrDer } from '../x509/asn1.js';
import { buildCsr } from '../x509/csr-builder.js';
import { importBundle } from './bundle-import.js';
import { renewalRequestFile } from './payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from './payloads/renewal-request.js';
import { derivedKey } from './simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeMetricsBundle, writeTestBundle, type BundleTestKit, type TestDevice } from './testing/bundle-test-kit.js';

/*
 * What inspect and import report beyond accept/reject: inspect runs the renewal-request proof
 * checks an import runs (storing nothing), and an import reports its progress through the file.
 */

let kit: BundleTestKit;
let device: TestDevice;
const file = (n: string) => join(kit.dir, n);
const key = (name: string) => new SoftwareSigner(derivedKey(41, name), 'ecdsa-p256', `software:${name}`);

before(async () => {
  kit = await makeBundleTestKit('coldroot-bundle-inspect-');
  device = await kit.device('web-0042.fleet.example');
});
after(() => kit.close());

test('inspect refuses a renewal request proven by a revoked current certificate, as the import does, and stores nothing', async () => {
  const oldKey = key('old');
  const old = await kit.svc.issueCertificate({ caId: kit.deviceCa.id, secret: { passphrase: TEST_PASSPHRASE }, profile: 'device-management', csr: await buildCsr(oldKey, `CN=${device.name}`) });
  kit.svc.revokeCertificate({ caId: kit.deviceCa.id, serial: old.serial, reason: 'keyCompromise' });
  const payload = await renewalRequestFile([{
    requestId: 'r1', host: device.name, profile: 'device-management', reason: 'expiring', csr: await buildCsr(key('next'), `CN=${device.name}`),
    proof: { kind: 'current-certificate', certificate: fromPemOrDer(old.certificatePem, ['CERTIFICATE'])[0], key: oldKey },
  }]);
  await writeTestBundle(file('revoked-proof.tar'), device, 'renewal-request', 1, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: payload }]);
  const fp = databaseFingerprint(kit.svc.store.db);

  const report = await kit.svc.inspectBundle(file('revoked-proof.tar'));
  assert.equal(report.verdict, 'rejected');
  assert.equal(report.failure?.code, 'BUNDLE_PROOF_REVOKED');
  assert.equal(report.failure?.check, 'revocation');
  assert.match(report.failure!.message, new RegExp(`^renewal-request\\.json requests\\.0 \\(r1\\): the current certificate \\(CN=${device.name.replace(/\./g, '\\.')}, serial ${old.serial}\\) of CA '${kit.deviceCa.id}' was revoked at .* \\(reason keyCompromise\\)$`));
  assert.equal(report.checks.find((c) => c.check === 'revocation')?.status, 'failed');
  assert.equal(databaseFingerprint(kit.svc.store.db), fp, 'inspect stores nothing');

  const imported = await importBundle(kit.svc.ctx, file('revoked-proof.tar'), { quarantine: false });
  assert.equal(imported.status, 'rejected');
  assert.deepEqual(imported.status === 'rejected' && [imported.code, imported.check, imported.message], ['BUNDLE_PROOF_REVOKED', 'revocation', report.failure!.message]);
  assert.equal(databaseFingerprint(kit.svc.store.db), fp, 'the rejected import stores nothing');
  assert.equal(kit.svc.listRenewalRequests().length, 0);
});

test('inspect passes a renewal request proven by the standing current certificate', async () => {
  const payload = await renewalRequestFile([{
    requestId: 'r1', host: device.name, profile: 'device-management', reason: 'expiring', csr: await buildCsr(key('next-2'), `CN=${device.name}`),
    proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer },
  }]);
  await writeTestBundle(file('good-proof.tar'), device, 'renewal-request', 2, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: payload }]);
  const report = await kit.svc.inspectBundle(file('good-proof.tar'));
  assert.equal(report.verdict, 'valid', JSON.stringify(report.failure));
  assert.ok(report.checks.every((c) => c.status === 'passed'), JSON.stringify(report.checks));
});

test('an import reports its progress: bytes read rise to the size of the bundle file', async () => {
  // ~40,000 rows: a bundle of a few MiB, read in 1 MiB chunks.
  await writeMetricsBundle(file('progress.tar'), device, { sequence: 3, rows: 40_000 });
  const size = statSync(file('progress.tar')).size;
  const calls: Array<[number, number]> = [];
  const r = await importBundle(kit.svc.ctx, file('progress.tar'), { onProgress: (read, total) => calls.push([read, total]) });
  assert.equal(r.status, 'accepted', JSON.stringify(r));
  assert.ok(calls.length >= Math.ceil(size / 2 ** 20), `${calls.length} progress calls for ${size} bytes`);
  assert.ok(calls.every(([read, total], i) => total === size && read > (i ? calls[i - 1][0] : 0)), 'strictly rising, against the file size');
  assert.deepEqual(calls.at(-1), [size, size]);
});
