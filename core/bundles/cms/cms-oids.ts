/** Object identifiers of the CMS pieces a bundle signature uses (RFC 5652, 5754, 8419). */
export const CMS_OID = {
  data: '1.2.840.113549.1.7.1',
  signedData: '1.2.840.113549.1.7.2',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha384: '2.16.840.1.101.3.4.2.2',
  sha512: '2.16.840.1.101.3.4.2.3',
} as const;

export type DigestName = 'sha256' | 'sha384' | 'sha512';

export const DIGEST_BY_OID: Readonly<Record<string, DigestName>> = {
  [CMS_OID.sha256]: 'sha256',
  [CMS_OID.sha384]: 'sha384',
  [CMS_OID.sha512]: 'sha512',
};

export const OID_BY_DIGEST: Readonly<Record<DigestName, string>> = {
  sha256: CMS_OID.sha256,
  sha384: CMS_OID.sha384,
  sha512: CMS_OID.sha512,
};

/**
 * Signature algorithms accepted in a SignerInfo, with the hash each one fixes. `digest` means "the
 * SignerInfo's digestAlgorithm" (rsaEncryption and id-ecPublicKey carry no hash of their own);
 * `null` is pure EdDSA. PSS and SHA-1 are refused.
 */
export const SIGNATURE_HASH: Readonly<Record<string, DigestName | 'digest' | null>> = {
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
  '1.2.840.10045.2.1': 'digest',
  '1.2.840.113549.1.1.1': 'digest',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.3.101.112': null,
};
