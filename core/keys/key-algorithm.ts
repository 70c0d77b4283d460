import { ColdrootError } from '../errors.js';

export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096', 'ed25519'] as const;
export type KeyAlgorithm = (typeof KEY_ALGORITHMS)[number];

export interface KeyAlgorithmInfo {
  readonly name: KeyAlgorithm;
  readonly family: 'ec' | 'rsa' | 'ed25519';
  /** node:crypto hash name used in the signature (null: the algorithm hashes itself). */
  readonly hash: 'sha256' | 'sha384' | null;
  /** AlgorithmIdentifier OID of the signature in certificates, CRLs and OCSP responses. */
  readonly signatureOid: string;
  /** RSA signature AlgorithmIdentifiers carry an explicit NULL parameter; ECDSA and Ed25519 carry none. */
  readonly signatureParamsNull: boolean;
  readonly namedCurve?: 'P-256' | 'P-384';
  /** OID of the named curve in the SubjectPublicKeyInfo. */
  readonly curveOid?: string;
  readonly modulusBits?: number;
}

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ed25519: '1.3.101.112',
  p256: '1.2.840.10045.3.1.7',
  p384: '1.3.132.0.34',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
  sha384WithRsa: '1.2.840.113549.1.1.12',
} as const;

const INFO: Record<KeyAlgorithm, KeyAlgorithmInfo> = {
  'ecdsa-p256': { name: 'ecdsa-p256', family: 'ec', hash: 'sha256', signatureOid: OID.ecdsaWithSha256, signatureParamsNull: false, namedCurve: 'P-256', curveOid: OID.p256 },
  'ecdsa-p384': { name: 'ecdsa-p384', family: 'ec', hash: 'sha384', signatureOid: OID.ecdsaWithSha384, signatureParamsNull: false, namedCurve: 'P-384', curveOid: OID.p384 },
  'rsa-3072': { name: 'rsa-3072', family: 'rsa', hash: 'sha256', signatureOid: OID.sha256WithRsa, signatureParamsNull: true, modulusBits: 3072 },
  'rsa-4096': { name: 'rsa-4096', family: 'rsa', hash: 'sha384', signatureOid: OID.sha384WithRsa, signatureParamsNull: true, modulusBits: 4096 },
  ed25519: { name: 'ed25519', family: 'ed25519', hash: null, signatureOid: OID.ed25519, signatureParamsNull: false },
};

export function keyAlgorithmInfo(name: KeyAlgorithm): KeyAlgorithmInfo {
  return INFO[name];
}

export function parseKeyAlgorithm(value: string, inputName = '--algorithm'): KeyAlgorithm {
  if ((KEY_ALGORITHMS as readonly string[]).includes(value)) return value as KeyAlgorithm;
  throw new ColdrootError(
    'UNKNOWN_KEY_ALGORITHM',
    `Unknown key algorithm '${value}' for ${inputName}`,
    `Use one of: ${KEY_ALGORITHMS.join(', ')}`,
  );
}
