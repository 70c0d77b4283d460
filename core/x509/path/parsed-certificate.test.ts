import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AsnParser } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { DerError, decodeOid, readSingle } from './der.js';
import { distinguishedName, isWithinDirectorySubtree } from './distinguished-name.js';
import { ParsedCertificate } from './parsed-certificate.js';
import { AT, issue } from './test-pki.js';
import { validatePath } from './validate-path.js';

const dn = (text: string) => distinguishedName(AsnParser.parse(new x509.Name(text).toArrayBuffer(), Name));

describe('DER reader', () => {
  test('rejects indefinite, non-minimal and overlong lengths and trailing data', () => {
    assert.throws(() => readSingle(new Uint8Array([0x30, 0x80, 0x00, 0x00])), DerError);
    assert.throws(() => readSingle(new Uint8Array([0x04, 0x81, 0x01, 0xff])), /non-minimal length/);
    assert.throws(() => readSingle(new Uint8Array([0x04, 0x05, 0x01])), /longer than its container/);
    assert.throws(() => readSingle(new Uint8Array([0x05, 0x00, 0x00])), /trailing data/);
    assert.equal(readSingle(new Uint8Array([0x04, 0x81, 0x80, ...new Uint8Array(0x80)])).value.length, 0x80);
  });

  test('decodes object identifiers', () => {
    assert.equal(decodeOid(new Uint8Array([0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02])), '1.2.840.10045.4.3.2');
    assert.equal(decodeOid(new Uint8Array([0x55, 0x1d, 0x11])), '2.5.29.17');
    assert.throws(() => decodeOid(new Uint8Array([0x2a, 0x86])), DerError);
  });
});

describe('distinguished names', () => {
  test('compare case-insensitively with whitespace folded, across string types (RFC 5280 §7.1)', () => {
    assert.equal(dn('CN=Test  CA, O=Acme').key, dn('CN=test ca, O=ACME').key);
    const typed = (value: AttributeValue) =>
      distinguishedName(new Name([new RelativeDistinguishedName([new AttributeTypeAndValue({ type: '2.5.4.3', value })])]));
    assert.equal(typed(new AttributeValue({ utf8String: ' Test CA' })).key, typed(new AttributeValue({ printableString: 'TEST CA' })).key);
    assert.notEqual(typed(new AttributeValue({ utf8String: 'Test CA' })).key, typed(new AttributeValue({ utf8String: 'Test CB' })).key);
    assert.notEqual(dn('CN=Test CA, O=Acme').key, dn('O=Acme, CN=Test CA').key, 'RDN order matters');
    assert.ok(isWithinDirectorySubtree(dn('O=Acme, CN=x'), dn('O=acme')));
    assert.ok(!isWithinDirectorySubtree(dn('O=Acme'), dn('O=Acme, CN=x')));
  });

  test('display form uses short names in encoded order and escapes specials', () => {
    assert.equal(dn('CN=a\\, b, O=Acme').text, 'CN=a\\, b, O=Acme');
    assert.equal(dn('C=NL, O=Acme, CN=Root').text, 'C=NL, O=Acme, CN=Root');
  });
});

describe('ParsedCertificate', () => {
  test('exposes the fields validation needs, decoded once', async () => {
    const root = await issue('CN=Root', { ca: { pathLen: 1 } });
    const p = ParsedCertificate.parse(root.der);
    assert.equal(p.version, 3);
    assert.equal(p.label, 'CN=Root');
    assert.equal(p.selfIssued, true);
    assert.deepEqual(p.ext.basicConstraints, { cA: true, pathLen: 1 });
    assert.deepEqual([...(p.ext.keyUsage ?? [])], ['keyCertSign', 'cRLSign']);
    assert.equal(p.notBefore.toISOString(), '2025-01-01T00:00:00.000Z');
    assert.ok(p.signatureAlgorithmsMatch);
    assert.equal(p.serialHex, root.cert.serialNumber.toUpperCase());
    assert.ok('key' in p.publicKey());
  });

  test('an undecodable extension is recorded, not thrown, and fails only a path that uses the certificate', async () => {
    const root = await issue('CN=Root', { ca: true });
    const leaf = await issue('CN=leaf', { issuer: root, extensions: [new x509.Extension('2.5.29.17', false, new TextEncoder().encode('example.com'))] });
    const p = ParsedCertificate.parse(leaf.der);
    assert.equal(p.problems.length, 1);
    assert.match(p.problems[0], /^extension subjectAltName cannot be decoded/);
    const r = validatePath({ leaf: leaf.der, trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.code, 'MALFORMED');
  });

  test('trailing bytes after the certificate make it undecodable', async () => {
    const root = await issue('CN=Root', { ca: true });
    assert.throws(() => ParsedCertificate.parse(new Uint8Array([...root.der, 0x00])));
    const r = validatePath({ leaf: new Uint8Array([...root.der, 0x00]), trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.code, 'MALFORMED');
  });
});
