import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { AT, issue, makeCrl, simplePki, type TestCert } from './test-pki.js';
import { validatePath, type PathValidationInput } from './validate-path.js';

describe('CRL checking (RFC 5280 §6.3)', () => {
  let root: TestCert;
  let intermediate: TestCert;
  let leaf: TestCert;
  let base: PathValidationInput;
  const outcome = (extra: Partial<PathValidationInput>) => {
    const r = validatePath({ ...base, ...extra });
    return r.ok ? 'ok' : r.code;
  };

  before(async () => {
    ({ root, intermediate, leaf } = await simplePki());
    base = { leaf: leaf.der, intermediates: [intermediate.der], trustAnchors: [root.der], at: AT };
  });

  test('a serial on the issuer’s fresh CRL is REVOKED, with date and reason', async () => {
    const crl = await makeCrl(intermediate, { revoked: [{ serial: leaf.cert.serialNumber, reason: x509.X509CrlReason.keyCompromise }] });
    assert.deepEqual(validatePath({ ...base, crls: [crl] }), {
      ok: false,
      code: 'REVOKED',
      message: `certificate 'CN=leaf.example.com' (serial ${leaf.cert.serialNumber.toUpperCase()}) was revoked at 2025-11-01T00:00:00Z (reason: keyCompromise) according to the CRL of 'CN=Test Intermediate' (thisUpdate 2025-12-01T00:00:00Z)`,
      certificate: 'CN=leaf.example.com',
    });
  });

  test('a CRL that does not list the serial passes; so does a same serial on another issuer’s CRL', async () => {
    const other = await issue('CN=Other CA', { ca: true });
    assert.equal(outcome({ crls: [await makeCrl(intermediate, { revoked: [{ serial: '0badc0de' }] })] }), 'ok');
    assert.equal(outcome({ crls: [await makeCrl(other, { revoked: [{ serial: leaf.cert.serialNumber }] })] }), 'ok');
  });

  test('revoked intermediates are caught with the root’s CRL', async () => {
    const crl = await makeCrl(root, { revoked: [{ serial: intermediate.cert.serialNumber }] });
    const r = validatePath({ ...base, crls: [crl] });
    assert.deepEqual(r.ok ? 'ok' : [r.code, r.certificate], ['REVOKED', 'CN=Test Intermediate']);
  });

  test('a stale CRL fails with CRL_EXPIRED; a CRL from the future with CRL_INVALID', async () => {
    const stale = await makeCrl(intermediate, { thisUpdate: new Date('2025-11-01T00:00:00Z'), nextUpdate: new Date('2025-12-01T00:00:00Z') });
    const r = validatePath({ ...base, crls: [stale] });
    assert.equal(r.ok ? 'ok' : r.message, "CRL of 'CN=Test Intermediate' (thisUpdate 2025-11-01T00:00:00Z) is stale: nextUpdate 2025-12-01T00:00:00Z, validation time 2026-01-01T00:00:00Z");
    assert.equal(r.ok ? 'ok' : r.code, 'CRL_EXPIRED');
    const future = await makeCrl(intermediate, { thisUpdate: new Date('2026-01-02T00:00:00Z'), nextUpdate: new Date('2026-02-01T00:00:00Z') });
    assert.equal(outcome({ crls: [future] }), 'CRL_INVALID');
  });

  test('a CRL without nextUpdate or CRL number, or with a critical CRL number, is CRL_INVALID', async () => {
    assert.equal(outcome({ crls: [await makeCrl(intermediate, { nextUpdate: null })] }), 'CRL_INVALID');
    assert.equal(outcome({ crls: [await makeCrl(intermediate, { crlNumber: null })] }), 'CRL_INVALID');
    assert.equal(outcome({ crls: [await makeCrl(intermediate, { crlNumberCritical: true })] }), 'CRL_INVALID');
  });

  test('a CRL under the issuer’s name but another key is CRL_INVALID, not silently ignored', async () => {
    const impostor = await issue('CN=Test Intermediate', { ca: true });
    const r = validatePath({ ...base, crls: [await makeCrl(impostor, { revoked: [] })] });
    assert.equal(r.ok ? 'ok' : r.code, 'CRL_INVALID');
    assert.match(r.ok ? '' : r.message, /does not verify with the key of 'CN=Test Intermediate'/);
  });

  test('the CRL signer must have cRLSign when it has a keyUsage extension', async () => {
    const noCrlSign = await issue('CN=No CRLSign CA', { ca: true, keyUsage: x509.KeyUsageFlags.keyCertSign });
    const ee = await issue('CN=ee', { issuer: noCrlSign });
    const r = validatePath({ leaf: ee.der, trustAnchors: [noCrlSign.der], crls: [await makeCrl(noCrlSign)], at: AT });
    assert.equal(r.ok ? 'ok' : r.message, "CRL of 'CN=No CRLSign CA' (thisUpdate 2025-12-01T00:00:00Z) is signed by 'CN=No CRLSign CA', whose keyUsage lacks cRLSign");
  });

  test('the newest valid CRL decides (a released hold is no longer revoked)', async () => {
    const older = await makeCrl(intermediate, {
      thisUpdate: new Date('2025-11-15T00:00:00Z'),
      crlNumber: 1,
      revoked: [{ serial: leaf.cert.serialNumber, reason: x509.X509CrlReason.certificateHold }],
    });
    const newer = await makeCrl(intermediate, { thisUpdate: new Date('2025-12-15T00:00:00Z'), crlNumber: 2 });
    assert.equal(outcome({ crls: [older, newer] }), 'ok');
    assert.equal(outcome({ crls: [older] }), 'REVOKED');
  });

  test('requireCrl fails when a certificate of the chain has no CRL, and passes when all do', async () => {
    assert.equal(outcome({ requireCrl: true }), 'CRL_MISSING');
    assert.equal(outcome({ requireCrl: true, crls: [await makeCrl(intermediate)] }), 'CRL_MISSING');
    assert.equal(outcome({ requireCrl: true, crls: [await makeCrl(intermediate), await makeCrl(root)] }), 'ok');
  });

  test('an undecodable CRL is MALFORMED', () => {
    const r = validatePath({ ...base, crls: [new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x01])] });
    assert.equal(r.ok ? 'ok' : r.code, 'MALFORMED');
    assert.match(r.ok ? '' : r.message, /^CRL #1 cannot be decoded/);
  });
});
