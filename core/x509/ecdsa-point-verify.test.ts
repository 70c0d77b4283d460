import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, sign, verify } from 'node:crypto';
import { test } from 'node:test';
import { nativeEcVerify } from '../native/ec-verify/index.js';
import { OID } from '../keys/key-algorithm.js';
import { verifyWithPoint } from './ecdsa-point-verify.js';
import { namedCurvePoint } from './public-key.js';

const ORDER = {
  'P-256': BigInt('0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551'),
  'P-384': BigInt('0xffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973'),
};

/** DER ECDSA-Sig-Value from r and s (minimal INTEGERs). */
function sigDer(r: bigint, s: bigint): Buffer {
  const int = (v: bigint) => {
    let h = v.toString(16);
    if (h.length % 2) h = `0${h}`;
    let b = Buffer.from(h, 'hex');
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return Buffer.concat([Buffer.from([0x02, b.length]), b]);
  };
  const body = Buffer.concat([int(r), int(s)]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function readRs(der: Buffer): [bigint, bigint] {
  const rLen = der[3];
  const r = BigInt(`0x${der.subarray(4, 4 + rLen).toString('hex')}`);
  const s = BigInt(`0x${der.subarray(6 + rLen, 6 + rLen + der[5 + rLen]).toString('hex')}`);
  return [r, s];
}

test('the native ECDSA verifier is built (npm ci runs scripts/build-native.mjs)', () => {
  assert.ok(nativeEcVerify.verify, `core/native/ec-verify is not loaded: ${nativeEcVerify.reason}. Build it with: node scripts/build-native.mjs`);
});

test('the native verifier agrees with node:crypto on valid, altered, high-S and non-canonical signatures', { skip: !nativeEcVerify.verify && 'the native verifier is not built here (see the test above)' }, () => {
  let cases = 0;
  for (const [curve, oid, hash] of [['P-256', OID.ecdsaWithSha256, 'sha256'], ['P-384', OID.ecdsaWithSha384, 'sha384'], ['P-256', '1.2.840.10045.4.3.4', 'sha512']] as const) {
    for (let i = 0; i < 40; i++) {
      const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: curve });
      const spki = publicKey.export({ type: 'spki', format: 'der' });
      const point = namedCurvePoint(new Uint8Array(spki));
      assert.ok(point);
      const msg = randomBytes(200 + i);
      const good = sign(hash, msg, { key: privateKey, dsaEncoding: 'der' });
      const [r, s] = readRs(good);
      const flipped = Buffer.from(good);
      flipped[4 + (i % (good.length - 4))] ^= 1 << (i % 8);
      const variants: Array<[string, Buffer, Buffer]> = [
        ['valid', msg, good],
        ['message altered', Buffer.concat([msg, Buffer.from([i])]), good],
        ['signature bit flipped', msg, flipped],
        ['high S', msg, sigDer(r, ORDER[curve] - s)],
        ['trailing byte', msg, Buffer.concat([good, Buffer.from([0])])],
        ['non-minimal INTEGER', msg, (() => { const b = sigDer(r, s); const rl = b[3]; return Buffer.concat([Buffer.from([0x30, b[1] + 1, 0x02, rl + 1, 0x00]), b.subarray(4)]); })()],
        ['r = 0', msg, sigDer(0n, s)],
        ['s = n', msg, sigDer(r, ORDER[curve])],
        ['truncated', msg, good.subarray(0, good.length - 1)],
      ];
      for (const [what, m, sig] of variants) {
        const expected = verify(hash, m, { key: publicKey, dsaEncoding: 'der' }, sig);
        const got = verifyWithPoint(oid, point, new Uint8Array(m), new Uint8Array(sig));
        assert.equal(got, expected ? 'valid' : 'invalid', `${curve}/${hash} ${what}: node:crypto says ${expected}`);
        if (what === 'valid') assert.equal(got, 'valid');
        cases++;
      }
    }
  }
  assert.equal(cases, 3 * 40 * 9);
});

test('a point off the curve is named as a bad point, not a bad signature', { skip: !nativeEcVerify.verify && 'the native verifier is not built here' }, () => {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const spki = new Uint8Array(publicKey.export({ type: 'spki', format: 'der' }));
  spki[spki.length - 1] ^= 1; // y no longer matches x
  const point = namedCurvePoint(spki)!;
  const msg = new Uint8Array(32);
  assert.equal(verifyWithPoint(OID.ecdsaWithSha256, point, msg, new Uint8Array(sign('sha256', msg, privateKey))), 'bad-point');
});

test('algorithms the native verifier does not handle are left to node:crypto', () => {
  const point = namedCurvePoint(new Uint8Array(generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'der' })))!;
  assert.equal(verifyWithPoint(OID.sha256WithRsa, point, new Uint8Array(1), new Uint8Array(1)), null);
});
