import 'reflect-metadata';
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { resolveKeyUsage, resolvePurpose } from './key-purpose.js';
import { AT, issue, type TestCert } from './test-pki.js';
import { validatePath, type PathValidationInput } from './validate-path.js';

const SERVER = '1.3.6.1.5.5.7.3.1';
const CLIENT = '1.3.6.1.5.5.7.3.2';
const ANY = '2.5.29.37.0';

describe('extended key usage and key usage', () => {
  let root: TestCert;
  before(async () => {
    root = await issue('CN=Root', { ca: true });
  });
  const result = (leaf: TestCert, extra: Partial<PathValidationInput>, intermediates: TestCert[] = []) => {
    const r = validatePath({ leaf: leaf.der, intermediates: intermediates.map((c) => c.der), trustAnchors: [root.der], at: AT, ...extra });
    return r.ok ? 'ok' : `${r.code}: ${r.message}`;
  };

  test('the leaf must list the purpose, or anyExtendedKeyUsage, or have no EKU at all', async () => {
    const client = await issue('CN=client', { issuer: root, eku: [CLIENT] });
    assert.equal(
      result(client, { purpose: 'serverAuth' }),
      "EXTENDED_KEY_USAGE: certificate 'CN=client' is not valid for serverAuth: its extendedKeyUsage lists clientAuth",
    );
    assert.equal(result(client, { purpose: 'clientAuth' }), 'ok');
    assert.equal(result(client, { purpose: CLIENT }), 'ok', 'a dotted OID works as a purpose');
    assert.equal(result(client, { purpose: 'any' }), 'ok');
    assert.equal(result(await issue('CN=any', { issuer: root, eku: [ANY] }), { purpose: 'codeSigning' }), 'ok');
    assert.equal(result(await issue('CN=none', { issuer: root }), { purpose: 'serverAuth' }), 'ok');
  });

  test('an intermediate with an EKU extension constrains the purposes below it', async () => {
    const clientCa = await issue('CN=Client CA', { issuer: root, ca: true, eku: [CLIENT] });
    const leaf = await issue('CN=srv', { issuer: clientCa, eku: [SERVER] });
    assert.equal(
      result(leaf, { purpose: 'serverAuth' }, [clientCa]),
      "EXTENDED_KEY_USAGE: issuer 'CN=Client CA' limits its extendedKeyUsage to clientAuth, which excludes serverAuth",
    );
    assert.equal(result(leaf, {}, [clientCa]), 'ok', 'no purpose requested, no EKU check');
    const anyCa = await issue('CN=Any CA', { issuer: root, ca: true, eku: [ANY] });
    assert.equal(result(await issue('CN=srv', { issuer: anyCa, eku: [SERVER] }), { purpose: 'serverAuth' }, [anyCa]), 'ok');
  });

  test('OCSP responders must list ocspSigning themselves but are not held to their issuer’s EKU', async () => {
    const tlsCa = await issue('CN=TLS CA', { issuer: root, ca: true, eku: [SERVER, CLIENT] });
    const responder = await issue('CN=OCSP', { issuer: tlsCa, eku: ['1.3.6.1.5.5.7.3.9'] });
    assert.equal(result(responder, { purpose: 'ocspSigning' }, [tlsCa]), 'ok');
    const notResponder = "EXTENDED_KEY_USAGE: certificate 'CN=any' is not an OCSP responder: its extendedKeyUsage does not list ocspSigning";
    assert.equal(result(await issue('CN=any', { issuer: root, eku: [ANY] }), { purpose: 'ocspSigning' }), notResponder);
    assert.equal(result(await issue('CN=any', { issuer: root }), { purpose: 'ocspSigning' }), notResponder);
  });

  test('required key usage bits must be present when the leaf has a keyUsage extension', async () => {
    const encipher = await issue('CN=kx', { issuer: root, keyUsage: x509.KeyUsageFlags.keyEncipherment });
    assert.equal(
      result(encipher, { keyUsage: ['digitalSignature'] }),
      "KEY_USAGE: certificate 'CN=kx' keyUsage lacks digitalSignature (it has keyEncipherment)",
    );
    assert.equal(result(await issue('CN=sig', { issuer: root }), { keyUsage: ['digitalSignature'] }), 'ok');
    assert.equal(result(await issue('CN=noku', { issuer: root, keyUsage: null }), { keyUsage: ['digitalSignature', 'keyEncipherment'] }), 'ok');
  });

  test('unknown purpose or key usage names are INVALID_INPUT, not a thrown error', async () => {
    const leaf = await issue('CN=x', { issuer: root });
    assert.match(result(leaf, { purpose: 'serverauth' }), /^INVALID_INPUT: unknown purpose 'serverauth'/);
    assert.match(result(leaf, { keyUsage: ['signing'] }), /^INVALID_INPUT: unknown key usage 'signing'/);
    assert.deepEqual(resolvePurpose('ocspSigning'), { oid: '1.3.6.1.5.5.7.3.9' });
    assert.deepEqual(resolvePurpose(undefined), { oid: null });
    assert.deepEqual(resolveKeyUsage(['crlsign', 'digitalSignature']), { bits: ['cRLSign', 'digitalSignature'] });
  });
});
