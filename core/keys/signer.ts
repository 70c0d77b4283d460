import type { KeyAlgorithm } from './key-algorithm.js';

/**
 * A private key that can sign, wherever it lives (software file, PKCS#11 token).
 * CA code sees only this interface.
 */
export interface Signer {
  /** Where the key lives: `pkcs11:token=…;object=…;id=…?module-path=…` or `software:<label>`. */
  readonly keyUri: string;
  readonly algorithm: KeyAlgorithm;
  /** SubjectPublicKeyInfo, DER. */
  publicKey(): Promise<Uint8Array>;
  /**
   * Signs `data` (the hash is computed by the signer per the algorithm's rule) and returns the
   * signature exactly as it goes into an X.509 signatureValue: DER Ecdsa-Sig-Value for ECDSA,
   * PKCS#1 v1.5 for RSA, the 64 raw bytes for Ed25519.
   */
  sign(data: Uint8Array): Promise<Uint8Array>;
  close(): Promise<void>;
}
