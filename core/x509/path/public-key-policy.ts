import type { KeyObject } from 'node:crypto';
import type { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { DerError, decodeOid, isUniversal, readSingle } from './der.js';

const EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const RSA = '1.2.840.113549.1.1.1';
const RSA_PSS = '1.2.840.113549.1.1.10';
const ED25519 = '1.3.101.112';
const ED448 = '1.3.101.113';
const NAMED_CURVES: Record<string, string> = {
  '1.2.840.10045.3.1.7': 'P-256',
  '1.3.132.0.34': 'P-384',
  '1.3.132.0.35': 'P-521',
};
export const MIN_RSA_BITS = 2048;

/**
 * Keys we accept anywhere in a chain: ECDSA on named P-256/P-384/P-521 (explicit curve
 * parameters are refused, as CABF 7.1.3.1.2 does), RSA of at least 2048 bits in whole bytes,
 * Ed25519 and Ed448. Returns the reason a key is refused, or null.
 */
export function publicKeyProblem(spki: SubjectPublicKeyInfo, key: KeyObject | undefined): string | null {
  const oid = spki.algorithm.algorithm;
  if (oid === EC_PUBLIC_KEY) {
    const params = spki.algorithm.parameters;
    if (!params) return 'EC public key without curve parameters';
    let curve: string | undefined;
    try {
      const el = readSingle(new Uint8Array(params));
      if (!isUniversal(el, 6)) return 'EC public key with explicit curve parameters (only named curves are accepted)';
      curve = NAMED_CURVES[decodeOid(el.value)];
    } catch (e) {
      if (e instanceof DerError) return 'EC public key with undecodable curve parameters';
      throw e;
    }
    return curve ? null : 'EC public key on a curve other than P-256, P-384 or P-521';
  }
  if (oid === RSA || oid === RSA_PSS) {
    if (!key) return null; // undecodable: reported as malformed by the caller
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (bits < MIN_RSA_BITS) return `RSA key of ${bits} bits (at least ${MIN_RSA_BITS} are required)`;
    if (bits % 8 !== 0) return `RSA key of ${bits} bits (the modulus must be a whole number of bytes)`;
    return null;
  }
  if (oid === ED25519 || oid === ED448) return null;
  return `public key algorithm ${oid} is not supported`;
}
