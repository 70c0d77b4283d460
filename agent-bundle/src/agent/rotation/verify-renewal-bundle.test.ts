import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeCertificate } from '../../../../core/x509/certificate-info.js';
import { makeConsoleFixture, type ConsoleFixture } from '../testing/console-fixture.js';
import { verifyRenewalBundle } from './verify-renewal-bundle.js';

const HOST = 'edge-0201.fleet.example';

describe('verifyRenewalBundle', () => {
  let fx: ConsoleFixture;
  let bundle: string;
  let now: Date;

  before(async () => {
    fx = await makeConsoleFixture();
    const device = await fx.device(HOST);
    bundle = await fx.renewalFor(device, { pendingKeyPem: fx.newKeyPem(), requestId: 'req-v1' });
    now = new Date(fx.clock.now.getTime() + 60_000);
  });
  after(() => fx?.close());

  const rejection = async (file: string, opts: Parameters<typeof verifyRenewalBundle>[1]) => {
    try {
      await verifyRenewalBundle(file, opts);
    } catch (e) {
      return { code: (e as { code: string }).code, message: (e as Error).message };
    }
    assert.fail('the bundle was accepted');
  };

  test('a bundle from this console checks out: index, files, and the signer path up to the root', async () => {
    const v = await verifyRenewalBundle(bundle, { trustAnchors: fx.trustAnchors, now });
    assert.equal(v.manifest.type, 'renewal');
    assert.deepEqual(v.index.issued.map((i) => [i.requestId, i.host]), [['req-v1', HOST]]);
    assert.ok(v.files.has(v.index.issued[0].certificate));
    assert.deepEqual(v.signerPath.map((c) => describeCertificate(c).subject), ['CN=Coldroot Console Bundle Signer', 'CN=Bundle Test Device CA, O=Coldroot Tests', 'CN=Bundle Test Root CA, O=Coldroot Tests']);
  });

  test('a signer under an unknown root (same names, other key) is untrusted', async () => {
    const r = await rejection(bundle, { trustAnchors: [await fx.foreignRoot()], now });
    assert.equal(r.code, 'RENEWAL_SIGNER_UNTRUSTED');
    assert.match(r.message, /the bundle signer \(CN=Coldroot Console Bundle Signer, serial [0-9a-f]+\) does not chain to this agent's trust anchors: BAD_SIGNATURE/);
  });

  test('no trust anchors at all is its own error', async () => {
    assert.equal((await rejection(bundle, { trustAnchors: [], now })).code, 'RENEWAL_NO_TRUST_ANCHORS');
  });

  test('a payload altered after signing is refused by its hash', async () => {
    const bytes = Buffer.from(readFileSync(bundle));
    const at = bytes.indexOf('-----BEGIN CERTIFICATE-----\nMII') + 29;
    assert.ok(at > 29);
    bytes[at] = bytes[at] === 0x4a ? 0x4b : 0x4a;
    const tampered = join(fx.dir, 'tampered.tar');
    writeFileSync(tampered, bytes);
    const r = await rejection(tampered, { trustAnchors: fx.trustAnchors, now });
    assert.deepEqual(r, { code: 'BUNDLE_HASH_MISMATCH', message: 'chain.pem does not match its SHA-256 in manifest.json: it was altered or swapped after signing' });
  });

  test('a bundle of another type is refused before its payload is read', async () => {
    const request = join(fx.dir, 'request-req-v1-1.tar');
    const r = await rejection(request, { trustAnchors: fx.trustAnchors, now });
    assert.deepEqual(r, { code: 'RENEWAL_WRONG_TYPE', message: `${request} is a renewal-request bundle, not a renewal bundle` });
  });

  test('a bundle created more than a day after the device clock points at the clock', async () => {
    const early = new Date(fx.clock.now.getTime() - 2 * 86_400_000);
    const r = await rejection(bundle, { trustAnchors: fx.trustAnchors, now: early });
    assert.equal(r.code, 'RENEWAL_FROM_FUTURE');
    assert.match(r.message, /more than a day after this device's clock \(2026-02-28T00:00:00\.000Z\)/);
  });
});
