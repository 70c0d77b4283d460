import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SoftwareSigner } from '../keys/software-signer.js';
import { buildCsr } from '../x509/csr-builder.js';
import { renewalRequestFile } from './payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from './payloads/renewal-request.js';
import { derivedKey } from './simulation/fleet-simulator.js';
import { queuedExport, renewalPlan } from '../policy/action-queue.js';
import { DEFAULT_POLICY } from '../policy/policy-file.js';
import { insertApprovedAction } from '../policy/testing/approved-action.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeTestBundle, type BundleTestKit, type TestDevice } from './testing/bundle-test-kit.js';

let kit: BundleTestKit;
const secret = { passphrase: TEST_PASSPHRASE };

before(async () => {
  kit = await makeBundleTestKit('coldroot-renewal-export-');
  await kit.svc.createBundleSigner({ caId: kit.deviceCa.id, caSecret: secret, key: { kind: 'software', passphrase: TEST_PASSPHRASE } });
});
after(() => kit.close());

test('a request whose proving certificate was revoked after its import is answered as rejected, the others are issued', async () => {
  const a = await kit.device('web-0001.fleet.example');
  const b = await kit.device('web-0002.fleet.example');
  const next = (name: string) => new SoftwareSigner(derivedKey(9, `next/${name}`), 'ecdsa-p256', `software:next-${name}`);
  const payload = await renewalRequestFile(await Promise.all([a, b].map(async (d, i) => ({
    requestId: `r${i + 1}`, host: d.name, profile: 'device-management', reason: 'expiring' as const,
    csr: await buildCsr(next(d.name), `CN=${d.name}`), proof: { kind: 'current-certificate' as const, certificate: d.certificate, key: d.signer },
  }))));
  const file = join(kit.dir, 'requests.tar');
  await writeTestBundle(file, a, 'renewal-request', 1, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 2, json: payload }]);
  assert.equal((await kit.svc.importBundles([file]))[0].status, 'accepted');

  kit.svc.revokeCertificate({ caId: kit.deviceCa.id, serial: b.serial, reason: 'keyCompromise' });
  const r = await kit.svc.exportRenewalBundle({ out: join(kit.dir, 'renewal.tar'), caId: kit.deviceCa.id, caSecret: secret, signerSecret: secret });
  assert.deepEqual(r.issued.map((i) => i.host), ['web-0001.fleet.example']);
  assert.equal(r.rejected.length, 1);
  assert.equal(r.rejected[0].host, 'web-0002.fleet.example');
  assert.equal(r.rejected[0].code, 'PROOF_REVOKED');
  assert.match(r.rejected[0].message, /^The certificate that proved this request was revoked at .* \(reason keyCompromise\) after the request was imported$/);
  const statuses = kit.svc.listRenewalRequests().map((x) => [x.requestId, x.status, x.rejectionCode]);
  assert.deepEqual(statuses, [['r1', 'issued', null], ['r2', 'rejected', 'PROOF_REVOKED']]);
});

const approvedAction = (action: 'investigation' | 'forced-renewal', host: string) => insertApprovedAction(kit.svc.ctx, action, host);

async function requestFrom(d: TestDevice, sequence: number): Promise<void> {
  const key = new SoftwareSigner(derivedKey(9, `queue/${d.name}/${sequence}`), 'ecdsa-p256', 'software:queue');
  const payload = await renewalRequestFile([{ requestId: `q${sequence}`, host: d.name, profile: 'device-management', reason: 'risk', csr: await buildCsr(key, `CN=${d.name}`), proof: { kind: 'current-certificate', certificate: d.certificate, key: d.signer } }]);
  const file = join(kit.dir, `queue-${d.name}-${sequence}.tar`);
  await writeTestBundle(file, d, 'renewal-request', sequence, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: payload }]);
  assert.equal((await kit.svc.importBundles([file]))[0].status, 'accepted');
}

test('approved risk actions ride in the renewal bundle: investigation instructions, and the actions of answered hosts marked exported in the same transaction', async () => {
  const asked = await kit.device('db-0001.fleet.example');
  const silent = await kit.device('db-0002.fleet.example');
  await requestFrom(asked, 1);
  const investigate = approvedAction('investigation', asked.name);
  const force = approvedAction('forced-renewal', silent.name);
  const plan = renewalPlan(kit.svc.ctx, DEFAULT_POLICY);
  assert.deepEqual(plan.hosts, [silent.name]);
  assert.equal(plan.instructions[0].host, asked.name);
  const { instructions, actions } = queuedExport(kit.svc.ctx, DEFAULT_POLICY);
  assert.deepEqual(instructions, plan.instructions);
  assert.deepEqual(actions.map((a) => a.id).sort(), [investigate, force].sort());
  const progress: Array<[number, number]> = [];
  const r = await kit.svc.exportRenewalBundle({ out: join(kit.dir, 'queue-renewal.tar'), caId: kit.deviceCa.id, caSecret: secret, signerSecret: secret, instructions, actions, onProgress: (d, t) => progress.push([d, t]) });
  assert.deepEqual(progress.at(-1), [1, 1], 'signing progress reaches the number of requests answered');
  assert.deepEqual(r.warnings.filter((w) => w.startsWith('approved action')), [`approved action ${force} for ${silent.name} stays approved: that host has no pending request in this bundle (its agent must ask first)`]);
  assert.deepEqual(r.issued.map((i) => i.host), [asked.name]);
  assert.deepEqual(r.actions, [investigate], 'only the host the bundle answers has its action carried');
  const status = (id: number) => kit.svc.store.db.prepare('SELECT status, exported_in AS bundle FROM risk_actions WHERE id = ?').get(id);
  assert.deepEqual(status(investigate), { status: 'exported', bundle: r.bundleId });
  assert.deepEqual(status(force), { status: 'approved', bundle: null });
  const audit = kit.svc.store.audit.list({ action: 'bundle.export', order: 'desc', limit: 1 })[0];
  assert.deepEqual(audit.details.riskActions, [investigate]);
});
