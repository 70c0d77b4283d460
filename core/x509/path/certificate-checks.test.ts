import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { certificateFailure } from './certificate-checks.js';
import { ParsedCertificate } from './parsed-certificate.js';
import { AT, issue, resign, type IssueOptions, type TestCert } from './test-pki.js';
import { validatePath } from './validate-path.js';

const UNKNOWN = '1.3.6.1.4.1.55738.666.1';

describe('per-certificate checks', () => {
  let root: TestCert;
  before(async () => {
    root = await issue('CN=Root', { ca: true });
  });
  const leafResult = async (opts: IssueOptions, at = AT) => {
    const leaf = await issue('CN=leaf', { issuer: root, ...opts });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [root.der], at });
    return r.ok ? 'ok' : `${r.code}: ${r.message}`;
  };

  test('validity is inclusive at both ends, in whole seconds', async () => {
    const window = { notBefore: new Date('2026-01-01T00:00:00Z'), notAfter: new Date('2026-01-31T00:00:00Z') };
    assert.equal(await leafResult(window, new Date('2026-01-01T00:00:00Z')), 'ok');
    assert.equal(await leafResult(window, new Date('2026-01-31T00:00:00.900Z')), 'ok');
    assert.equal(
      await leafResult(window, new Date('2026-01-31T00:00:01Z')),
      "EXPIRED: certificate 'CN=leaf' expired at 2026-01-31T00:00:00Z, validation time 2026-01-31T00:00:01Z",
    );
    assert.equal(
      await leafResult(window, new Date('2025-12-31T23:59:59.999Z')),
      "NOT_YET_VALID: certificate 'CN=leaf' is not valid before 2026-01-01T00:00:00Z, validation time 2025-12-31T23:59:59Z",
    );
  });

  test('issuers need basicConstraints cA and, when keyUsage is present, keyCertSign', async () => {
    const noBc = await issue('CN=No BC', { issuer: root, keyUsage: x509.KeyUsageFlags.digitalSignature });
    const notCa = await issue('CN=Not CA', { issuer: root, extensions: [new x509.BasicConstraintsExtension(false, undefined, true)] });
    const noCertSign = await issue('CN=No CertSign', { issuer: root, ca: true, keyUsage: x509.KeyUsageFlags.cRLSign });
    const expected: Record<string, string> = {
      'CN=No BC': "NOT_A_CA: certificate 'CN=No BC' is used as an issuer but has no basicConstraints extension",
      'CN=Not CA': "NOT_A_CA: certificate 'CN=Not CA' is used as an issuer but its basicConstraints cA is false",
      'CN=No CertSign': "KEY_USAGE: certificate 'CN=No CertSign' is used as an issuer but its keyUsage lacks keyCertSign",
    };
    for (const ica of [noBc, notCa, noCertSign]) {
      const leaf = await issue('CN=leaf', { issuer: ica });
      const r = validatePath({ leaf: leaf.der, intermediates: [ica.der], trustAnchors: [root.der], at: AT });
      assert.equal(r.ok ? 'ok' : `${r.code}: ${r.message}`, expected[ica.name]);
    }
  });

  test('unknown critical extensions are refused; unknown non-critical ones are ignored', async () => {
    const ext = (critical: boolean) => [new x509.Extension(UNKNOWN, critical, new Uint8Array([0x05, 0x00]))];
    assert.equal(await leafResult({ extensions: ext(false) }), 'ok');
    assert.equal(
      await leafResult({ extensions: ext(true) }),
      `UNKNOWN_CRITICAL_EXTENSION: certificate 'CN=leaf' has critical extension ${UNKNOWN}, which this validator does not process`,
    );
    const aia = new x509.AuthorityInfoAccessExtension({ caIssuers: [new x509.GeneralName('url', 'http://ca.example/ca.crt')] }, true);
    assert.match(await leafResult({ extensions: [aia] }), /^UNKNOWN_CRITICAL_EXTENSION: .* critical extension authorityInfoAccess/);
  });

  test('RFC 5280 profile MUSTs are enforced as PROFILE_VIOLATION', async () => {
    const akiCritical = await x509.AuthorityKeyIdentifierExtension.create(root.keys.pair.publicKey, true);
    assert.equal(await leafResult({ omit: ['aki'], extensions: [akiCritical] }), "PROFILE_VIOLATION: certificate 'CN=leaf' marks authorityKeyIdentifier critical");
    assert.equal(await leafResult({ omit: ['aki'] }), "PROFILE_VIOLATION: certificate 'CN=leaf' has no authorityKeyIdentifier (required unless self-issued)");
    assert.equal(
      await leafResult({ keyUsage: x509.KeyUsageFlags.keyCertSign }),
      "PROFILE_VIOLATION: certificate 'CN=leaf' asserts keyUsage keyCertSign without basicConstraints cA",
    );
    const zero = await resign((await issue('CN=leaf', { issuer: root })).der, root.keys, (tbs) => {
      tbs.serialNumber = new Uint8Array([0]).buffer;
    });
    const zr = validatePath({ leaf: zero, trustAnchors: [root.der], at: AT });
    assert.equal(zr.ok ? 'ok' : zr.message, "certificate 'CN=leaf' has a serial number that is not positive");
    assert.equal(await leafResult({ serial: '01'.repeat(21) }), "PROFILE_VIOLATION: certificate 'CN=leaf' has a serial number of 21 octets (at most 20 are allowed)");
    const caNoSki = await issue('CN=ICA', { issuer: root, ca: true, omit: ['ski'] });
    assert.equal(
      certificateFailure(ParsedCertificate.parse(caNoSki.der), AT, 'issuer')?.message,
      "certificate 'CN=ICA' is a CA certificate without subjectKeyIdentifier",
    );
    const bcNonCritical = await issue('CN=ICA', { issuer: root, extensions: [new x509.BasicConstraintsExtension(true, undefined, false)], keyUsage: x509.KeyUsageFlags.keyCertSign });
    assert.equal(
      certificateFailure(ParsedCertificate.parse(bcNonCritical.der), AT, 'issuer')?.message,
      "certificate 'CN=ICA' is a CA certificate whose basicConstraints is not critical",
    );
  });

  test('a trust anchor may have serial 0 (real roots do), an intermediate may not', async () => {
    const zeroRootKeys = root.keys;
    const zeroRoot = await resign((await issue('CN=Root', { ca: true, keys: zeroRootKeys })).der, zeroRootKeys, (tbs) => {
      tbs.serialNumber = new Uint8Array([0]).buffer;
    });
    const leaf = await issue('CN=leaf', { issuer: root });
    assert.equal(validatePath({ leaf: leaf.der, trustAnchors: [zeroRoot], at: AT }).ok, true);
    assert.equal(certificateFailure(ParsedCertificate.parse(zeroRoot), AT, 'issuer')?.code, 'PROFILE_VIOLATION');
  });

  test('weak keys are UNSUPPORTED_ALGORITHM wherever they appear', async () => {
    const pair = (await webcrypto.subtle.generateKey(
      { name: 'RSASSA-PKCS1-v1_5', modulusLength: 1024, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' },
      true,
      ['sign', 'verify'],
    )) as webcrypto.CryptoKeyPair;
    assert.equal(
      await leafResult({ keys: { kind: 'RSA', pair } }),
      "UNSUPPORTED_ALGORITHM: certificate 'CN=leaf' has an unusable key: RSA key of 1024 bits (at least 2048 are required)",
    );
    const weakRoot = await issue('CN=Weak Root', { ca: true, keys: { kind: 'RSA', pair } });
    const leaf = await issue('CN=leaf', { issuer: weakRoot });
    const r = validatePath({ leaf: leaf.der, trustAnchors: [weakRoot.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.message, "issuer 'CN=Weak Root' has an unusable key: RSA key of 1024 bits (at least 2048 are required)");
  });

  test('duplicate extensions and mismatched signature algorithms are MALFORMED', async () => {
    const san = new x509.SubjectAlternativeNameExtension([{ type: 'dns', value: 'a.example' }]);
    assert.equal(await leafResult({ san: [{ type: 'dns', value: 'b.example' }], extensions: [san] }), "MALFORMED: certificate 'CN=leaf' is malformed: extension 2.5.29.17 appears more than once");

    const leaf = await issue('CN=leaf', { issuer: root });
    const der = new Uint8Array(leaf.der);
    const ecdsaSha256 = Buffer.from('06082a8648ce3d040302', 'hex');
    const outerAt = Buffer.from(der).lastIndexOf(ecdsaSha256);
    der[outerAt + ecdsaSha256.length - 1] = 0x03; // outer signatureAlgorithm → ecdsa-with-SHA384
    const r = validatePath({ leaf: der, trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.message, "certificate 'CN=leaf' is malformed: signatureAlgorithm differs from tbsCertificate.signature");
  });
});
