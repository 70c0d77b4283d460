// Bundles written by Coldroot verify with `openssl cms -verify` for every key type a producer may
// hold, including an agent's device-management certificate (hence its emailProtection EKU).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { writeBundle } from '../core/bundles/bundle-writer.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeMetricsBundle, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import { generateKeyObject } from '../core/keys/software-key-store.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { fromPemOrDer } from '../core/x509/asn1.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { openssl } from './helpers/openssl.js';

let kit: BundleTestKit;
before(async () => {
  kit = await makeBundleTestKit('coldroot-bundle-openssl-');
  writeFileSync(join(kit.dir, 'root.pem'), kit.root.certificatePem!);
});
after(() => kit.close());

function verify(bundle: string): { code: number; stderr: string } {
  const dir = `${bundle}.d`;
  mkdirSync(dir);
  assert.equal(spawnSync('tar', ['xf', bundle, '-C', dir]).status, 0);
  return openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', join(dir, 'manifest.json'), '-CAfile', join(kit.dir, 'root.pem'), '-out', '/dev/null']);
}

test('P-256, P-384 and RSA-3072 producers, and an agent device-management certificate', async () => {
  for (const [alg, profile] of [['ecdsa-p256', 'bundle-signing'], ['ecdsa-p384', 'bundle-signing'], ['rsa-3072', 'bundle-signing'], ['ecdsa-p256', 'device-management']] as const) {
    const signer = new SoftwareSigner(generateKeyObject(alg), alg, `software:${alg}`);
    const c = await kit.svc.issueCertificate({ caId: kit.deviceCa.id, secret: { passphrase: TEST_PASSPHRASE }, profile, csr: await buildCsr(signer, `CN=${alg} ${profile}`) });
    const identity = { signer, certificate: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], chain: [fromPemOrDer(kit.deviceCa.certificatePem!, ['CERTIFICATE'])[0]] };
    const bundle = join(kit.dir, `${alg}-${profile}.tar`);
    await writeMetricsBundle(bundle, identity, { sequence: 1, rows: 3 });
    const v = verify(bundle);
    assert.equal(v.code, 0, `${alg} ${profile}: ${v.stderr}`);
    assert.match(v.stderr, /Verification successful/);
  }
});

test('openssl refuses a manifest changed after signing, and a producer outside the trusted root', async () => {
  const device = await kit.device('device-x');
  const bundle = join(kit.dir, 'good.tar');
  await writeMetricsBundle(bundle, device, { sequence: 1, rows: 3 });
  const dir = `${bundle}.d`;
  assert.equal(verify(bundle).code, 0);
  const manifest = join(dir, 'manifest.json');
  writeFileSync(manifest, readFileSync(manifest, 'utf8').replace('"sequence": 1', '"sequence": 9'));
  const changed = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', manifest, '-CAfile', join(kit.dir, 'root.pem'), '-out', '/dev/null']);
  assert.notEqual(changed.code, 0);
  const foreign = await kit.foreignDevice('device-x');
  const other = join(kit.dir, 'foreign.tar');
  await writeMetricsBundle(other, foreign, { sequence: 1, rows: 3 });
  assert.notEqual(verify(other).code, 0);
});

test('the writer refuses Ed25519 keys (OpenSSL 3.0 cannot verify Ed25519 CMS), and never overwrites', async () => {
  const device = await kit.device('device-y');
  const ed = new SoftwareSigner(generateKeyObject('ed25519'), 'ed25519', 'software:ed');
  await assert.rejects(writeBundle(join(kit.dir, 'ed.tar'), { type: 'metrics', identity: { ...device, signer: ed }, sequence: 1, createdAt: new Date(), files: [] }), (e: Error & { code: string }) => e.code === 'BUNDLE_SIGNER_ALGORITHM');
  await assert.rejects(writeMetricsBundle(join(kit.dir, 'root.pem'), device, { sequence: 1, rows: 1 }), (e: Error & { code: string }) => e.code === 'OUTPUT_EXISTS');
});
