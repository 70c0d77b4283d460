import { createPublicKey } from 'node:crypto';
import { ColdrootError } from '../errors.js';
import { derAlgorithmIdentifier, derBitString, derOid, derSequence, derUnsignedInteger } from '../x509/der-writer.js';
import { keyAlgorithmInfo, OID, type KeyAlgorithm } from './key-algorithm.js';

/*
 * The DER a PKCS#11 token does not hand back ready-made: ECDSA signatures (raw r||s) and the
 * SubjectPublicKeyInfo (RFC 5280, 5480, 8410, 8017) assembled from the public key's attributes.
 */

/** Raw r||s (PKCS#11 ECDSA output) to the DER Ecdsa-Sig-Value that X.509 carries. */
export function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  if (raw.length === 0 || raw.length % 2 !== 0 || raw.length > 132) throw new Error(`ECDSA signature of bad length ${raw.length}`);
  const half = raw.length / 2;
  // Copies: `raw` may be a view of a buffer reused for the next signature.
  return derSequence([derUnsignedInteger(raw.subarray(0, half)), derUnsignedInteger(raw.subarray(half))]);
}

/** Uncompressed point (0x04 || X || Y) sizes. */
const EC_POINT_BYTES = { 'ecdsa-p256': 65, 'ecdsa-p384': 97 } as const;

/**
 * CKA_EC_POINT is, per the standard, a DER OCTET STRING around the point (SoftHSM does that);
 * some tokens return the bare point. The expected point size tells the two apart.
 */
export function ecPointFromAttribute(alg: KeyAlgorithm, value: Uint8Array): Buffer {
  const size = alg === 'ed25519' ? 32 : EC_POINT_BYTES[alg as keyof typeof EC_POINT_BYTES];
  const v = Buffer.from(value);
  if (v.length === size && (alg === 'ed25519' || v[0] === 0x04)) return v;
  if (v[0] === 0x04 && v[1] === size && v.length === size + 2) return v.subarray(2);
  if (v[0] === 0x04 && v[1] === 0x81 && v[2] === size && v.length === size + 3) return v.subarray(3);
  throw new ColdrootError('PKCS11_PUBLIC_KEY_INVALID', `CKA_EC_POINT of ${value.length} bytes is not a ${alg} public key`, 'The public key object on the token is malformed; regenerate the key', 'failure');
}

/** SubjectPublicKeyInfo DER from the token's public key attributes, cross-checked by node:crypto. */
export function spkiFromTokenKey(alg: KeyAlgorithm, a: { ecPoint?: Uint8Array; modulus?: Uint8Array; publicExponent?: Uint8Array }): Uint8Array {
  const info = keyAlgorithmInfo(alg);
  let spki: Uint8Array;
  if (info.family === 'rsa') {
    const rsaPublicKey = derSequence([derUnsignedInteger(a.modulus!), derUnsignedInteger(a.publicExponent!)]);
    spki = derSequence([derAlgorithmIdentifier(OID.rsaEncryption, true), derBitString(rsaPublicKey)]);
  } else if (info.family === 'ec') {
    spki = derSequence([derSequence([derOid(OID.ecPublicKey), derOid(info.curveOid!)]), derBitString(a.ecPoint!)]);
  } else {
    spki = derSequence([derAlgorithmIdentifier(OID.ed25519, false), derBitString(a.ecPoint!)]);
  }
  const bad = (why: string) => new ColdrootError('PKCS11_PUBLIC_KEY_INVALID', `The token's public key is not a valid ${alg} key: ${why}`, 'The public key object on the token is malformed; regenerate the key', 'failure');
  let key;
  try {
    key = createPublicKey({ key: Buffer.from(spki.buffer, spki.byteOffset, spki.byteLength), format: 'der', type: 'spki' });
  } catch (e) {
    throw bad(e instanceof Error ? e.message : String(e));
  }
  const d = key.asymmetricKeyDetails ?? {};
  const ok = info.family === 'rsa'
    ? key.asymmetricKeyType === 'rsa' && d.modulusLength === info.modulusBits
    : info.family === 'ec'
      ? key.asymmetricKeyType === 'ec' && d.namedCurve === (alg === 'ecdsa-p256' ? 'prime256v1' : 'secp384r1')
      : key.asymmetricKeyType === 'ed25519';
  if (!ok) throw bad(`node:crypto reads it as ${key.asymmetricKeyType} ${JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))}`);
  return spki;
}
