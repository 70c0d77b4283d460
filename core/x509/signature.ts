import { verify as nodeVerify, type KeyObject } from 'node:crypto';
import { OID } from '../keys/key-algorithm.js';

const HASH_BY_OID: Record<string, string | null> = {
  [OID.ecdsaWithSha256]: 'sha256',
  [OID.ecdsaWithSha384]: 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  [OID.sha256WithRsa]: 'sha256',
  [OID.sha384WithRsa]: 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.113549.1.1.5': 'sha1',
  [OID.ed25519]: null,
};

export function isSupportedSignatureAlgorithm(oid: string): boolean {
  return oid in HASH_BY_OID;
}

/** Verifies an X.509-style signature (ECDSA DER, RSA PKCS#1 v1.5, Ed25519) with node:crypto. */
export function verifySignature(signatureOid: string, key: KeyObject, data: Uint8Array, signature: Uint8Array): boolean {
  if (!(signatureOid in HASH_BY_OID)) return false;
  try {
    return nodeVerify(HASH_BY_OID[signatureOid], data, { key, dsaEncoding: 'der' }, signature);
  } catch {
    return false;
  }
}
