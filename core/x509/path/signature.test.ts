import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { constants, generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { AsnSerializer } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import { verifySignature } from './signature.js';
import { AT, simplePki } from './test-pki.js';
import { validatePath } from './validate-path.js';

const data = new TextEncoder().encode('tbsCertificate bytes');
const alg = (algorithm: string, parameters?: ArrayBuffer | null) => new AlgorithmIdentifier({ algorithm, parameters });
const SHA256 = '2.16.840.1.101.3.4.2.1';
const pssParams = (hash = SHA256, mgfHash = SHA256, saltLength = 32) =>
  AsnSerializer.serialize(
    new RsaSaPssParams({
      hashAlgorithm: alg(hash, null),
      maskGenAlgorithm: alg('1.2.840.113549.1.1.8', AsnSerializer.serialize(alg(mgfHash, null))),
      saltLength,
    }),
  );

const ec = (namedCurve: string) => generateKeyPairSync('ec', { namedCurve });
const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = generateKeyPairSync('ed25519');

function check(algorithm: AlgorithmIdentifier, key: KeyObject, signature: Uint8Array, message = data) {
  return verifySignature(message, algorithm, signature, key);
}

describe('signature verification with node:crypto', () => {
  const cases: [string, AlgorithmIdentifier, { publicKey: KeyObject; privateKey: KeyObject }, (k: KeyObject) => Buffer][] = [
    ['ECDSA P-256 / SHA-256', alg('1.2.840.10045.4.3.2'), ec('P-256'), (k) => sign('sha256', data, k)],
    ['ECDSA P-384 / SHA-384', alg('1.2.840.10045.4.3.3'), ec('P-384'), (k) => sign('sha384', data, k)],
    ['ECDSA P-521 / SHA-512', alg('1.2.840.10045.4.3.4'), ec('P-521'), (k) => sign('sha512', data, k)],
    ['RSA PKCS#1 v1.5 / SHA-256', alg('1.2.840.113549.1.1.11', null), rsa, (k) => sign('sha256', data, k)],
    ['RSA-PSS / SHA-256', alg('1.2.840.113549.1.1.10', pssParams()), rsa, (k) => sign('sha256', data, { key: k, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 })],
    ['Ed25519', alg('1.3.101.112'), ed, (k) => sign(null, data, k)],
  ];
  for (const [name, algorithm, keys, signWith] of cases) {
    test(`${name}: a good signature verifies, a flipped bit does not`, () => {
      const sig = new Uint8Array(signWith(keys.privateKey));
      assert.deepEqual(check(algorithm, keys.publicKey, sig), { ok: true });
      const tampered = new Uint8Array(data);
      tampered[0] ^= 1;
      assert.deepEqual(check(algorithm, keys.publicKey, sig, tampered), { ok: false, reason: 'invalid', detail: 'signature does not verify' });
    });
  }

  test('SHA-1 and unknown algorithms are unsupported, not merely invalid', () => {
    const k = ec('P-256');
    const sig = new Uint8Array(sign('sha1', data, k.privateKey));
    assert.deepEqual(check(alg('1.2.840.10045.4.1'), k.publicKey, sig), { ok: false, reason: 'unsupported', detail: 'signature algorithm ecdsa-with-SHA1 is not accepted' });
    assert.equal(check(alg('1.2.3.4'), k.publicKey, sig).ok, false);
    const pssSha1 = check(alg('1.2.840.113549.1.1.10'), rsa.publicKey, new Uint8Array(256));
    assert.deepEqual(pssSha1, { ok: false, reason: 'unsupported', detail: 'RSASSA-PSS without parameters (SHA-1 defaults) is not accepted' });
    const mixed = check(alg('1.2.840.113549.1.1.10', pssParams(SHA256, '2.16.840.1.101.3.4.2.2')), rsa.publicKey, new Uint8Array(256));
    assert.deepEqual(mixed, { ok: false, reason: 'unsupported', detail: 'RSASSA-PSS MGF1 hash must equal the signature hash' });
  });

  test('an algorithm that does not fit the key, or stray parameters, is invalid', () => {
    const k = ec('P-256');
    const sig = new Uint8Array(sign('sha256', data, k.privateKey));
    assert.deepEqual(check(alg('1.2.840.113549.1.1.11', null), k.publicKey, sig), {
      ok: false,
      reason: 'invalid',
      detail: 'a rsa signature cannot be made by a ec key',
    });
    assert.equal(check(alg('1.2.840.10045.4.3.2', null), k.publicKey, sig).ok, false);
  });

  test('a certificate with a corrupted signature fails the path with BAD_SIGNATURE', async () => {
    const { root, intermediate, leaf } = await simplePki();
    const der = new Uint8Array(leaf.der);
    der[der.length - 1] ^= 0x01;
    const r = validatePath({ leaf: der, intermediates: [intermediate.der], trustAnchors: [root.der], at: AT });
    assert.deepEqual(r.ok ? 'ok' : [r.code, r.certificate], ['BAD_SIGNATURE', 'CN=leaf.example.com']);
  });
});
