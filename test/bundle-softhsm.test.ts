// The console's bundle-signing key on a PKCS#11 token (SoftHSM2): generated there, used for a
// renewal export, and the signature checked with openssl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { importBundle } from '../core/bundles/bundle-import.js';
import { renewalRequestFile } from '../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { derivedKey } from '../core/bundles/simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeTestBundle, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { openssl } from './helpers/openssl.js';
import { createSoftHsmToken, softHsmAvailable, type SoftHsmToken } from './helpers/softhsm.js';

const available = softHsmAvailable();

describe('bundle signing on SoftHSM2', { skip: available.ok ? false : available.reason }, () => {
  let token: SoftHsmToken;
  let kit: BundleTestKit;

  before(async () => {
    token = createSoftHsmToken({ label: 'coldroot-bundles', pin: '112233' });
    process.env.SOFTHSM2_CONF = token.confPath; // read by SoftHSM at its first C_Initialize in this process
    kit = await makeBundleTestKit('coldroot-bundle-hsm-');
  });
  after(() => {
    kit?.close();
    token?.cleanup();
  });

  test('the signing key is generated on the token and a renewal bundle signed with it verifies with openssl', async () => {
    const signer = await kit.svc.createBundleSigner({ caId: kit.deviceCa.id, caSecret: { passphrase: TEST_PASSPHRASE }, key: { kind: 'pkcs11', modulePath: token.modulePath, tokenLabel: token.label, pin: token.pin }, algorithm: 'ecdsa-p384' });
    assert.match(signer.keyUri, /^pkcs11:token=coldroot-bundles;/);
    const listed = spawnSync('pkcs11-tool', ['--module', token.modulePath, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects', '--type', 'privkey'], { env: token.env, encoding: 'utf8' });
    assert.match(listed.stdout, /label:\s+bundle-signer-1/);
    assert.match(listed.stdout, /Access:\s+sensitive, always sensitive, never extractable, local/);

    const device = await kit.device('edge-0003.fleet.example');
    const next = new SoftwareSigner(derivedKey(4, 'next'), 'ecdsa-p256', 'software:next');
    const requests = await renewalRequestFile([{ requestId: 'id-1', host: device.name, profile: 'device-management', reason: 'expiring', csr: await buildCsr(next, `CN=${device.name}`), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } }]);
    const req = await writeTestBundle(join(kit.dir, 'req.tar'), device, 'renewal-request', 1, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: requests }]);
    assert.equal((await importBundle(kit.svc.ctx, req.path)).status, 'accepted');

    await assert.rejects(kit.svc.exportRenewalBundle({ out: join(kit.dir, 'x.tar'), caId: kit.deviceCa.id, caSecret: { passphrase: TEST_PASSPHRASE }, signerSecret: { passphrase: 'not a pin' } }), (e: Error & { code: string }) => e.code === 'PIN_REQUIRED');
    const out = await kit.svc.exportRenewalBundle({ out: join(kit.dir, 'renewal.tar'), caId: kit.deviceCa.id, caSecret: { passphrase: TEST_PASSPHRASE }, signerSecret: { pin: token.pin } });
    assert.deepEqual([out.issued.length, out.rejected.length, out.inReplyTo, out.sequence], [1, 0, req.bundleId, 1]);

    const dir = join(kit.dir, 'renewal');
    mkdirSync(dir);
    assert.equal(spawnSync('tar', ['xf', out.path, '-C', dir]).status, 0);
    writeFileSync(join(kit.dir, 'root.pem'), kit.root.certificatePem!);
    const v = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', join(dir, 'manifest.json'), '-CAfile', join(kit.dir, 'root.pem'), '-out', '/dev/null']);
    assert.equal(v.code, 0, v.stderr);
    const info = openssl(['cms', '-cmsout', '-print', '-inform', 'DER', '-in', join(dir, 'manifest.p7s')]).stdout;
    assert.match(info, /sha384/);
    assert.match(info, /ecdsa-with-SHA384/);
    const report = await kit.svc.inspectBundle(out.path);
    assert.equal(report.verdict, 'known');
  });
});
