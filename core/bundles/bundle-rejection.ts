import { ColdrootError } from '../errors.js';

/**
 * The checks a bundle goes through, in the order they run. Every rejection names one of them, so
 * an operator (and a test) can tell "the signature is wrong" from "the payload is malformed".
 */
export const BUNDLE_CHECKS = ['limits', 'archive', 'signature', 'manifest', 'trust', 'revocation', 'replay', 'integrity', 'schema'] as const;
export type BundleCheck = (typeof BUNDLE_CHECKS)[number];

/** Stable rejection codes (callers and tests switch on them; renaming one is a breaking change). */
export const BUNDLE_REJECTION_CODES = {
  BUNDLE_TOO_LARGE: 'limits',
  BUNDLE_ENTRY_TOO_LARGE: 'limits',
  BUNDLE_DECOMPRESSED_TOO_LARGE: 'limits',
  BUNDLE_TOO_MANY_ENTRIES: 'limits',
  BUNDLE_ARCHIVE_INVALID: 'archive',
  BUNDLE_TRUNCATED: 'archive',
  BUNDLE_UNSAFE_PATH: 'archive',
  BUNDLE_ENTRY_TYPE: 'archive',
  BUNDLE_DUPLICATE_ENTRY: 'archive',
  BUNDLE_UNEXPECTED_ENTRY: 'archive',
  BUNDLE_MISSING_ENTRY: 'archive',
  BUNDLE_ENTRY_ORDER: 'archive',
  BUNDLE_SIGNATURE_INVALID: 'signature',
  BUNDLE_PRODUCER_MISMATCH: 'signature',
  BUNDLE_MANIFEST_INVALID: 'manifest',
  BUNDLE_FORMAT_UNSUPPORTED: 'manifest',
  BUNDLE_CREATED_IN_FUTURE: 'manifest',
  BUNDLE_TYPE_NOT_IMPORTABLE: 'manifest',
  BUNDLE_SIGNER_UNTRUSTED: 'trust',
  BUNDLE_PRODUCER_UNKNOWN: 'trust',
  BUNDLE_PRODUCER_REVOKED: 'revocation',
  BUNDLE_ID_REPLAYED: 'replay',
  BUNDLE_SEQUENCE_REPLAYED: 'replay',
  BUNDLE_SIZE_MISMATCH: 'integrity',
  BUNDLE_HASH_MISMATCH: 'integrity',
  BUNDLE_PAYLOAD_INVALID: 'schema',
  // Renewal-request proofs and TPM attestation (core/attestation, docs/tpm-attestation.md).
  BUNDLE_PROOF_UNKNOWN: 'trust',
  BUNDLE_PROOF_EXPIRED: 'trust',
  BUNDLE_PROOF_MISMATCH: 'trust',
  BUNDLE_PROOF_NOT_BOOTSTRAP: 'trust',
  BUNDLE_PROOF_UNSIGNED: 'trust',
  BUNDLE_PROOF_REVOKED: 'revocation',
  BUNDLE_TPM_ENROLMENT_INVALID: 'schema',
  BUNDLE_TPM_ATTESTATION_INVALID: 'schema',
  BUNDLE_TPM_EK_UNTRUSTED: 'trust',
  BUNDLE_TPM_EK_UNKNOWN: 'trust',
  BUNDLE_TPM_EK_IN_USE: 'trust',
  BUNDLE_TPM_WRONG_HOST: 'trust',
  BUNDLE_TPM_QUOTE_INVALID: 'signature',
  BUNDLE_TPM_QUOTE_MISMATCH: 'integrity',
  BUNDLE_TPM_NONCE_UNKNOWN: 'replay',
  BUNDLE_TPM_NONCE_EXPIRED: 'replay',
  BUNDLE_TPM_NONCE_REPLAYED: 'replay',
} as const satisfies Record<string, BundleCheck>;
export type BundleRejectionCode = keyof typeof BUNDLE_REJECTION_CODES;

/** A bundle failed a check. Always operator input (exit 2); `check` names the step that failed. */
export class BundleRejection extends ColdrootError {
  readonly check: BundleCheck;
  override readonly code: BundleRejectionCode;

  constructor(code: BundleRejectionCode, message: string, hint: string = HINTS[BUNDLE_REJECTION_CODES[code]]) {
    super(code, message, hint, 'input');
    this.name = 'BundleRejection';
    this.code = code;
    this.check = BUNDLE_REJECTION_CODES[code];
  }

  override toJSON(): { code: string; message: string; hint: string; check: BundleCheck } {
    return { code: this.code, message: this.message, hint: this.hint, check: this.check };
  }
}

export function isBundleRejection(e: unknown): e is BundleRejection {
  return e instanceof BundleRejection;
}

export function reject(code: BundleRejectionCode, message: string, hint?: string): never {
  throw new BundleRejection(code, message, hint);
}

const HINTS: Record<BundleCheck, string> = {
  limits: 'If the bundle is genuine, raise the limit (coldroot bundle import --help lists them); otherwise discard it',
  archive: 'The file is not a bundle as Coldroot writes it; ask the producer to export it again (never repack a bundle by hand)',
  signature: 'The bundle was altered after it was signed, or signed by another key; get a fresh copy from the producer',
  manifest: 'Ask the producer to export the bundle again with a Coldroot agent or console of a matching version',
  trust: 'The producer certificate must be issued by a CA of this home; check it with: coldroot bundle inspect FILE',
  revocation: 'The producer certificate was revoked; re-enrol the device before accepting its bundles',
  replay: 'This bundle (or another with the same sequence number from this producer) was already imported; do not import copies',
  integrity: 'A payload file was altered or swapped after signing; get a fresh copy from the producer',
  schema: 'The payload does not follow its schema (docs/bundles.md, docs/metrics-format.md); fix the producer',
};
