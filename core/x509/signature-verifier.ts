import { nativelyVerifiable, verifyWithPoint } from './ecdsa-point-verify.js';
import { describePublicKey, namedCurvePoint } from './public-key.js';
import { verifySignature } from './signature.js';

/**
 * A verifier bound to one public key, for checking many signatures: a P-256/P-384 point goes to
 * the native verifier when it is built, anything else (or no addon) to node:crypto.
 */
export function signatureVerifier(signatureOid: string, spki: Uint8Array): (data: Uint8Array, signature: Uint8Array) => boolean {
  const point = namedCurvePoint(spki);
  if (point && nativelyVerifiable(signatureOid)) {
    return (data, signature) => verifyWithPoint(signatureOid, point, data, signature) === 'valid';
  }
  const key = describePublicKey(spki).key;
  return (data, signature) => verifySignature(signatureOid, key, data, signature);
}
