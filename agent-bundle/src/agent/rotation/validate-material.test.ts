import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { fromPemOrDer } from '../../../../core/x509/asn1.js';
import { makeConsoleFixture, SECRET, type ConsoleFixture } from '../testing/console-fixture.js';
import { validateMaterial, type MaterialToValidate } from './validate-material.js';
import { verifyRenewalBundle } from './verify-renewal-bundle.js';

const HOST = 'edge-0301.fleet.example';
const certs = (pem: string | Uint8Array) => fromPemOrDer(pem, ['CERTIFICATE']);

describe('validateMaterial', () => {
  let fx: ConsoleFixture;
  let keyPem: string;
  let material: MaterialToValidate;
  let serial: string;
  let notAfter: string;
  let otherOcsp: Uint8Array;
  let now: Date;

  before(async () => {
    fx = await makeConsoleFixture();
    const device = await fx.device(HOST);
    keyPem = fx.newKeyPem();
    const path = await fx.renewalFor(device, { pendingKeyPem: keyPem, requestId: 'req-m1' });
    const other = await fx.renewalFor(device, { pendingKeyPem: fx.newKeyPem(), requestId: 'req-m2' });
    now = new Date(fx.clock.now.getTime() + 60_000);
    const v = await verifyRenewalBundle(path, { trustAnchors: fx.trustAnchors, now });
    const entry = v.index.issued[0];
    serial = entry.serial.replace(/^0+/, '');
    notAfter = entry.notAfter;
    material = {
      certificateDer: certs(v.files.get(entry.certificate)!)[0], chain: certs(v.files.get('chain.pem')!),
      crls: v.index.crls.map((n) => v.files.get(n)!), ocspDer: v.files.get(entry.ocsp)!, pendingKey: keyPem,
    };
    const w = await verifyRenewalBundle(other, { trustAnchors: fx.trustAnchors, now });
    otherOcsp = w.files.get(w.index.issued[0].ocsp)!;
  });
  after(() => fx?.close());

  test('material from the console validates, with the path up to the root', () => {
    const r = validateMaterial(material, { trustAnchors: fx.trustAnchors, now });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.serial, serial);
    assert.equal(r.path.length, 3);
    assert.equal(material.crls.length, 2, 'the device CA and the root each ship a CRL');
  });

  test('a certificate for another key is refused', () => {
    const r = validateMaterial({ ...material, pendingKey: fx.newKeyPem() }, { trustAnchors: fx.trustAnchors, now });
    assert.equal(r.ok, false);
    assert.equal((r as { code: string }).code, 'RENEWAL_KEY_MISMATCH');
    assert.match((r as { message: string }).message, new RegExp(`serial ${serial}\\) does not certify the pending key`));
  });

  test('an expired certificate is refused', () => {
    const late = new Date(Date.parse(notAfter) + 1000);
    const r = validateMaterial(material, { trustAnchors: fx.trustAnchors, now: late });
    assert.deepEqual(r, { ok: false, code: 'RENEWAL_CERT_EXPIRED', message: `The issued certificate CN=${HOST} (serial ${serial}) expired at ${notAfter}; the device clock says ${late.toISOString()}` });
  });

  test('a wrong chain or an unknown root is refused', () => {
    assert.equal((validateMaterial({ ...material, chain: [] }, { trustAnchors: fx.trustAnchors, now }) as { code: string }).code, 'RENEWAL_CHAIN_INVALID');
  });

  test('a CRL that revokes the serial refuses it; a CRL that does not verify is refused too', async () => {
    fx.svc.revokeCertificate({ caId: fx.deviceCa.id, serial, reason: 'keyCompromise' });
    const crl = await fx.svc.publishCrl({ caId: fx.deviceCa.id, secret: SECRET });
    const at = new Date(Date.parse(crl.thisUpdate) + 1000);
    const revoked = validateMaterial({ ...material, crls: [crl.der], ocspDer: null }, { trustAnchors: fx.trustAnchors, now: at });
    assert.equal((revoked as { code: string }).code, 'RENEWAL_CERT_REVOKED');
    // The path validator names the serial by its octets, as openssl does: a leading zero nibble shows (1 serial in 16).
    assert.match((revoked as { message: string }).message, new RegExp(`REVOKED: certificate 'CN=${HOST.replace(/\./g, '\\.')}' \\(serial 0?${serial}\\) was revoked`, 'i'));
    const broken = Uint8Array.from(crl.der);
    broken[broken.length - 3] ^= 0x01;
    const bad = validateMaterial({ ...material, crls: [broken], ocspDer: null }, { trustAnchors: fx.trustAnchors, now: at });
    assert.equal((bad as { code: string }).code, 'RENEWAL_CRL_INVALID');
    const stale = validateMaterial({ ...material, crls: [crl.der], ocspDer: null }, { trustAnchors: fx.trustAnchors, now: new Date(Date.parse(crl.nextUpdate) + 1000) });
    assert.equal((stale as { code: string }).code, 'RENEWAL_CRL_INVALID');
  });

  test('an OCSP response for another serial is refused', () => {
    const r = validateMaterial({ ...material, ocspDer: otherOcsp }, { trustAnchors: fx.trustAnchors, now });
    assert.equal((r as { code: string }).code, 'RENEWAL_OCSP_INVALID');
    assert.match((r as { message: string }).message, new RegExp(`The OCSP response is for serial [0-9a-f]+, not ${serial}`));
  });

  test('a certificate from a new intermediate under the same root is accepted', async () => {
    const ca2 = await fx.newIntermediate();
    const key = fx.newKeyPem();
    const c = await fx.issueFor(key, { host: HOST, caId: ca2.id });
    const r = validateMaterial({ certificateDer: c.certificateDer, chain: certs(c.chainPem), crls: [], ocspDer: null, pendingKey: key }, { trustAnchors: fx.trustAnchors, now: new Date(fx.clock.now.getTime() + 1000) });
    assert.ok(r.ok, JSON.stringify(r));
    assert.equal(r.path.length, 3);
  });
});
