import assert from 'node:assert/strict';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { test } from 'node:test';
import 'reflect-metadata';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { describePublicKey } from './public-key.js';

test('fast EC import and the generic path agree on type, key and RFC 5280 key identifier', () => {
  const keys = [
    ['ecdsa-p256', generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey],
    ['ecdsa-p384', generateKeyPairSync('ec', { namedCurve: 'P-384' }).publicKey],
    ['ecdsa-p521', generateKeyPairSync('ec', { namedCurve: 'P-521' }).publicKey],
    ['rsa-2048', generateKeyPairSync('rsa', { modulusLength: 2048 }).publicKey],
    ['ed25519', generateKeyPairSync('ed25519').publicKey],
  ] as const;
  for (const [type, pub] of keys) {
    const spki = new Uint8Array(pub.export({ type: 'spki', format: 'der' }));
    const d = describePublicKey(spki);
    assert.equal(d.type, type);
    assert.deepEqual(Buffer.from(d.key.export({ type: 'spki', format: 'der' })), Buffer.from(spki));
    const bits = new Uint8Array(AsnConvert.parse(spki, SubjectPublicKeyInfo).subjectPublicKey);
    assert.deepEqual(Buffer.from(d.keyIdentifier), createHash('sha1').update(bits).digest());
  }
});

test('a point that is not on the curve is refused', () => {
  const spki = Buffer.from(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' }));
  spki[spki.length - 1] ^= 1;
  assert.throws(() => describePublicKey(spki), /public key cannot be parsed/);
});
