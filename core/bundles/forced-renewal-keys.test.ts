import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { SoftwareSigner } from '../keys/software-signer.js';
import { insertApprovedAction } from '../policy/testing/approved-action.js';
import { buildCsr } from '../x509/csr-builder.js';
import { renewalRequestFile } from './payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from './payloads/renewal-request.js';
import { derivedKey } from './simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeTestBundle, type BundleTestKit, type TestDevice } from './testing/bundle-test-kit.js';

let kit: BundleTestKit;
const secret = { passphrase: TEST_PASSPHRASE };
const key = (label: string) => new SoftwareSigner(derivedKey(11, label), 'ecdsa-p256', `software:${label}`);

before(async () => {
  kit = await makeBundleTestKit('coldroot-forced-renewal-');
  await kit.svc.createBundleSigner({ caId: kit.deviceCa.id, caSecret: secret, key: { kind: 'software', passphrase: TEST_PASSPHRASE } });
});
after(() => kit.close());

let sequence = 0;
/** One request bundle (from the first device) holding one request per entry, each CSR made with the given key. */
async function importRequests(entries: Array<{ device: TestDevice; csrKey: SoftwareSigner }>): Promise<void> {
  const payload = await renewalRequestFile(await Promise.all(entries.map(async (e, i) => ({
    requestId: `f${sequence + 1}-${i + 1}`, host: e.device.name, profile: 'device-management', reason: 'risk' as const,
    csr: await buildCsr(e.csrKey, `CN=${e.device.name}`), proof: { kind: 'current-certificate' as const, certificate: e.device.certificate, key: e.device.signer },
  }))));
  const file = join(kit.dir, `forced-${++sequence}.tar`);
  await writeTestBundle(file, entries[0].device, 'renewal-request', sequence, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: entries.length, json: payload }]);
  assert.equal((await kit.svc.importBundles([file]))[0].status, 'accepted');
}

const actionRow = (id: number) => kit.svc.store.db.prepare('SELECT status, exported_in AS bundle FROM risk_actions WHERE id = ?').get(id);
const certificatesOf = (host: string) => kit.svc.store.db.prepare("SELECT count(*) FROM certificates WHERE subject = 'CN=' || ?").pluck().get(host);

test('a forced renewal asked with the flagged certificate\'s own key is answered as rejected, naming host, action and fix; the other hosts are issued and the action stays approved', async () => {
  const flagged = await kit.device('edge-0001.fleet.example');
  const healthy = await kit.device('edge-0002.fleet.example');
  const unflagged = await kit.device('edge-0003.fleet.example');
  const force = insertApprovedAction(kit.svc.ctx, 'forced-renewal', flagged.name);
  kit.svc.store.db.prepare('UPDATE risk_actions SET cert_sha256 = ? WHERE id = ?').run(flagged.sha256, force);
  // edge-0003 has no forced renewal: renewing with the same key stays allowed there.
  await importRequests([{ device: flagged, csrKey: flagged.signer }, { device: healthy, csrKey: key('new/edge-0002') }, { device: unflagged, csrKey: unflagged.signer }]);
  const before = certificatesOf(flagged.name);

  const r = await kit.svc.exportRenewalBundle({ out: join(kit.dir, 'renewal-1.tar'), caId: kit.deviceCa.id, caSecret: secret, signerSecret: secret, actions: [{ id: force, host: flagged.name }] });
  assert.deepEqual(r.issued.map((i) => i.host), [healthy.name, unflagged.name]);
  assert.equal(r.rejected.length, 1);
  assert.equal(r.rejected[0].code, 'FORCED_RENEWAL_KEY_REUSED');
  const expected = `Host ${flagged.name} has an approved forced renewal (risk action ${force}: key compromise suspected), but request f1-1 reuses the public key of certificate ${flagged.serial} of CA '${kit.deviceCa.id}'; `
    + 'renewing with that key would keep the suspected key in service. The agent must generate a new key: run coldroot-agent request-renewal on the host (it makes a new key for every request) and import the new request bundle.';
  assert.equal(r.rejected[0].message, expected);
  assert.deepEqual(r.actions, [], 'the forced renewal is not marked exported');
  assert.deepEqual(actionRow(force), { status: 'approved', bundle: null });
  assert.ok(r.warnings.includes(`approved forced renewal ${force} stays approved: ${expected}`));
  assert.equal(certificatesOf(flagged.name), before, 'no certificate issued for the flagged host');
  const statuses = kit.svc.listRenewalRequests().filter((x) => x.requestId.startsWith('f1-')).map((x) => [x.requestId, x.status, x.rejectionCode]);
  assert.deepEqual(statuses, [['f1-1', 'rejected', 'FORCED_RENEWAL_KEY_REUSED'], ['f1-2', 'issued', null], ['f1-3', 'issued', null]]);
});

test('the key of an earlier certificate of the host (found by its name in the inventory) is refused too; a new key then satisfies the forced renewal', async () => {
  const earlierKey = key('earlier/edge-0004');
  const earlier = await kit.svc.issueCertificate({ caId: kit.deviceCa.id, secret, profile: 'device-management', csr: await buildCsr(earlierKey, 'CN=edge-0004.fleet.example') });
  const device = await kit.device('edge-0004.fleet.example');
  const force = insertApprovedAction(kit.svc.ctx, 'forced-renewal', device.name);
  await importRequests([{ device, csrKey: earlierKey }]);
  const refused = await kit.svc.exportRenewalBundle({ out: join(kit.dir, 'renewal-2.tar'), caId: kit.deviceCa.id, caSecret: secret, signerSecret: secret, actions: [{ id: force, host: device.name }] });
  assert.deepEqual(refused.issued, []);
  assert.equal(refused.rejected[0].code, 'FORCED_RENEWAL_KEY_REUSED');
  assert.match(refused.rejected[0].message, new RegExp(`reuses the public key of certificate ${earlier.serial} of CA`));
  assert.deepEqual(actionRow(force), { status: 'approved', bundle: null });

  await importRequests([{ device, csrKey: key('new/edge-0004') }]);
  const renewed = await kit.svc.exportRenewalBundle({ out: join(kit.dir, 'renewal-3.tar'), caId: kit.deviceCa.id, caSecret: secret, signerSecret: secret, actions: [{ id: force, host: device.name }] });
  assert.deepEqual([renewed.issued.map((i) => i.host), renewed.rejected], [[device.name], []]);
  assert.deepEqual(renewed.actions, [force]);
  assert.deepEqual(actionRow(force), { status: 'exported', bundle: renewed.bundleId });
});
