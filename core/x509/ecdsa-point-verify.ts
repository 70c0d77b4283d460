import { nativeEcVerify } from '../native/ec-verify/index.js';
import { OID } from '../keys/key-algorithm.js';
import type { NamedCurvePoint } from './public-key.js';

const HASH_INDEX: Record<string, 0 | 1 | 2> = { [OID.ecdsaWithSha256]: 0, [OID.ecdsaWithSha384]: 1, '1.2.840.10045.4.3.4': 2 };

/** True when the native verifier is built and handles this signature algorithm. */
export function nativelyVerifiable(signatureOid: string): boolean {
  return nativeEcVerify.verify !== null && signatureOid in HASH_INDEX;
}

/**
 * Verifies an ECDSA signature straight from a P-256/P-384 point with the native verifier, which
 * skips node:crypto's per-key import (most of the cost of checking a fresh CSR). Returns null when
 * it cannot answer (not built here, or not an ECDSA algorithm), so the caller verifies with node:crypto.
 */
export function verifyWithPoint(signatureOid: string, key: NamedCurvePoint, data: Uint8Array, signature: Uint8Array): 'valid' | 'invalid' | 'bad-point' | null {
  const hash = HASH_INDEX[signatureOid];
  if (!nativeEcVerify.verify || hash === undefined) return null;
  const r = nativeEcVerify.verify(key.type === 'ecdsa-p256' ? 0 : 1, key.point, data, signature, hash);
  return r === 1 ? 'valid' : r === 0 ? 'invalid' : 'bad-point';
}
