import assert from 'node:assert/strict';
import { generateKeyPairSync, sign } from 'node:crypto';
import { test } from 'node:test';
import { derAlgorithmIdentifier } from './der-writer.js';
import { parseDistinguishedName } from './distinguished-name.js';
import { checkOcspResponse } from './ocsp-verify.js';
import { encodeOcspResponse, ResponseDataTemplate } from './ocsp-response.js';
import { describePublicKey } from './public-key.js';

test('pre-signed responses check out against their CA, and tampering or another CA is named', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  const issuer = { nameDer: parseDistinguishedName('CN=OCSP Test CA').der, keyHash: describePublicKey(spki).keyIdentifier, key: publicKey };
  const template = new ResponseDataTemplate(issuer, new Date('2026-05-01T00:00:00Z'), new Date('2026-05-08T00:00:00Z'));
  const alg = derAlgorithmIdentifier('1.2.840.10045.4.3.2', false);
  const make = (serial: string, revoked: boolean) => {
    const tbs = template.render(serial, revoked ? { status: 'revoked', revokedAt: new Date('2026-04-01T00:00:00Z'), reasonCode: 1 } : { status: 'good' });
    return encodeOcspResponse(tbs, alg, new Uint8Array(sign('sha256', tbs, { key: privateKey, dsaEncoding: 'der' })));
  };
  assert.deepEqual(checkOcspResponse(make('1a2b', false), issuer), { ok: true, serial: '1a2b', status: 'good', thisUpdate: '2026-05-01T00:00:00Z', nextUpdate: '2026-05-08T00:00:00Z' });
  const r = checkOcspResponse(make('ff01', true), issuer);
  assert.equal(r.ok && r.status, 'revoked');
  const tampered = Buffer.from(make('1a2b', false));
  tampered[tampered.length - 90] ^= 1;
  assert.equal(checkOcspResponse(tampered, issuer).ok, false);
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey;
  assert.deepEqual(checkOcspResponse(make('1a2b', false), { ...issuer, key: other }), { ok: false, reason: 'signature does not verify with the CA key' });
  assert.deepEqual(checkOcspResponse(make('1a2b', false), { ...issuer, nameDer: parseDistinguishedName('CN=Someone Else').der }), { ok: false, reason: 'CertID names another issuer' });
});
