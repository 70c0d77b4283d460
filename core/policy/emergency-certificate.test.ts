import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { openssl } from '../../test/helpers/openssl.js';
import { makeBundleTestKit, TEST_PASSPHRASE, type BundleTestKit } from '../bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { derivedKey } from '../bundles/simulation/fleet-simulator.js';
import { databaseFingerprint } from '../store/database.js';
import { buildCsr } from '../x509/csr-builder.js';
import { issueEmergencyCertificate } from './emergency-certificate.js';
import { DEFAULT_POLICY, type RiskPolicy } from './policy-file.js';
import { insertApprovedAction } from './testing/approved-action.js';

let kit: BundleTestKit;
let policy: RiskPolicy;
const host = 'web-0042.fleet.example';
const secret = { passphrase: TEST_PASSPHRASE };
const csr = () => buildCsr(new SoftwareSigner(derivedKey(3, 'emergency'), 'ecdsa-p256', 'software:e'), `CN=${host}`, { dns: [host] });

before(async () => {
  kit = await makeBundleTestKit('coldroot-emergency-');
  policy = { ...DEFAULT_POLICY, emergencyCertificate: { minRisk: 95, issuer: { caId: kit.deviceCa.id, approvedBy: 'security officer', approvedAt: '2026-03-01T00:00:00Z' } } };
});
after(() => kit.close());

test('an approved emergency action gets a 24-hour certificate from the policy\'s issuer; openssl verifies it; the action is done and audited', async () => {
  const id = insertApprovedAction(kit.svc.ctx, 'emergency-certificate', host);
  const r = await issueEmergencyCertificate(kit.svc.ctx, { actionId: id, caSecret: secret, policy, csr: await csr() });
  assert.equal(r.caId, kit.deviceCa.id);
  const lifetime = Date.parse(r.notAfter) - kit.clock.now.getTime();
  assert.ok(lifetime <= 24 * 3_600_000 && lifetime >= 24 * 3_600_000 - 1000, `valid for ${lifetime} ms`); // notAfter is inclusive, to the second
  const files = { cert: join(kit.dir, 'emergency.pem'), chain: join(kit.dir, 'chain.pem'), root: join(kit.dir, 'root.pem') };
  writeFileSync(files.cert, r.certificatePem);
  writeFileSync(files.chain, kit.deviceCa.certificatePem!);
  writeFileSync(files.root, kit.root.certificatePem!);
  const v = openssl(['verify', '-attime', String(Math.floor(kit.clock.now.getTime() / 1000) + 60), '-purpose', 'sslserver', '-CAfile', files.root, '-untrusted', files.chain, files.cert]);
  assert.equal(v.code, 0, v.stderr + v.stdout);
  const row = kit.svc.store.db.prepare('SELECT status, exported_in AS done FROM risk_actions WHERE id = ?').get(id);
  assert.deepEqual(row, { status: 'exported', done: `certificate:${kit.deviceCa.id}/${r.serial}` });
  const audit = kit.svc.store.audit.list({ action: 'risk.action.emergency', order: 'desc', limit: 1 })[0];
  assert.equal(audit.details.serial, r.serial);
  assert.equal(audit.details.issuerApprovedBy, 'security officer');
});

test('refusals name the problem and change nothing', async () => {
  const investigation = insertApprovedAction(kit.svc.ctx, 'investigation', host);
  const emergency = insertApprovedAction(kit.svc.ctx, 'emergency-certificate', 'web-0043.fleet.example');
  const before = databaseFingerprint(kit.svc.store.db);
  await assert.rejects(issueEmergencyCertificate(kit.svc.ctx, { actionId: investigation, caSecret: secret, policy }), { code: 'EMERGENCY_WRONG_ACTION', message: `Action ${investigation} is a investigation, not an emergency-certificate action` });
  await assert.rejects(issueEmergencyCertificate(kit.svc.ctx, { actionId: emergency, caSecret: secret, policy: DEFAULT_POLICY }), { code: 'EMERGENCY_ISSUER_NOT_CONFIGURED' });
  await assert.rejects(issueEmergencyCertificate(kit.svc.ctx, { actionId: emergency, caSecret: secret, policy }), { code: 'EMERGENCY_CSR_MISSING', message: 'Host web-0043.fleet.example has no pending renewal request to take a CSR from' });
  await assert.rejects(issueEmergencyCertificate(kit.svc.ctx, { actionId: emergency, caSecret: secret, policy, csr: await csr(), validity: '30d' }), (e: { code: string }) => /VALIDITY|PROFILE/.test(e.code));
  assert.equal(databaseFingerprint(kit.svc.store.db), before);
});
