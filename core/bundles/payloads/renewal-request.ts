import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { z } from 'zod';
import { isColdrootError } from '../../errors.js';
import { fromPemOrDer } from '../../x509/asn1.js';
import { describeCertificate } from '../../x509/certificate-info.js';
import { readCsr } from '../../x509/csr.js';
import { reject } from '../bundle-rejection.js';
import { SLUG } from './json-payload.js';
import { HOST } from './metrics-schema.js';

/** coldroot.renewal-request.v1: certificate signing requests with why and how the host proves it may ask. */
export const RENEWAL_REQUEST_SCHEMA_V1 = 'coldroot.renewal-request.v1';
export const RENEWAL_REQUEST_FILE = 'renewal-request.json';

export const RENEWAL_REASONS = ['expiring', 'key-rotation', 'key-compromise', 'risk', 'bootstrap', 'manual'] as const;

const Pem = (label: string) => z.string().max(64 * 1024).regex(new RegExp(`^-----BEGIN ${label}-----\\r?\\n[A-Za-z0-9+/=\\r\\n]+-----END ${label}-----\\r?\\n?$`), `one PEM ${label} block`);
const Base64 = (max: number) => z.string().max(Math.ceil(max / 3) * 4).regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'base64');

/**
 * How the host shows it may have the certificate:
 * - current-certificate: the certificate being renewed, and `signature` = that certificate's key
 *   signing the CSR's DER (proof that the requester holds the current key);
 * - bootstrap-certificate: a factory or enrolment certificate for a first issuance (signature optional);
 * - tpm-attestation: base64 of the attestation evidence (core/attestation/attestation-evidence.ts:
 *   the TPM quote, its signature, the console's nonce and the EK certificate), for the recovery of
 *   a host whose certificates have all expired (docs/tpm-attestation.md).
 * The console checks each proof against its inventory at import (core/attestation/request-proofs.ts).
 */
const Proof = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('current-certificate'), certificate: Pem('CERTIFICATE'), signature: Base64(1024) }),
  z.strictObject({ kind: z.literal('bootstrap-certificate'), certificate: Pem('CERTIFICATE'), signature: Base64(1024).optional() }),
  z.strictObject({ kind: z.literal('tpm-attestation'), attestation: Base64(64 * 1024), certificate: Pem('CERTIFICATE').optional() }),
]);

/**
 * Enrols the host's TPM (docs/tpm-attestation.md): its EK certificate, and the public part (SPKI)
 * and TPM name of the attestation key made under that EK. Trusted because the request carrying it
 * is authenticated by a valid device certificate.
 */
export const TpmEnrolmentSchema = z.strictObject({
  ekCertificate: Pem('CERTIFICATE'),
  akPublic: Pem('PUBLIC KEY'),
  akName: z.string().regex(/^[0-9a-f]{8,140}$/, 'TPM name, hex'),
});
export type TpmEnrolment = z.infer<typeof TpmEnrolmentSchema>;

export const RenewalRequestSchema = z.strictObject({
  requestId: z.string().regex(SLUG),
  host: z.string().regex(HOST),
  /** The certificate profile asked for (the console may override it when it answers). */
  profile: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/),
  reason: z.enum(RENEWAL_REASONS),
  detail: z.string().max(1000).optional(),
  csr: Pem('CERTIFICATE REQUEST'),
  proof: Proof,
  tpm: TpmEnrolmentSchema.optional(),
});
export type RenewalRequest = z.infer<typeof RenewalRequestSchema>;

export const RenewalRequestFileSchema = z.strictObject({
  requests: z.array(RenewalRequestSchema).min(1).max(10_000),
});

/** A request after its CSR and proof were checked. */
export interface CheckedRenewalRequest extends RenewalRequest {
  csrDer: Uint8Array;
  subject: string;
  proofCertificate: Uint8Array | null;
  proofSignature: Uint8Array | null;
  proofAttestation: Uint8Array | null;
  /** The TPM enrolment block, decoded: EK certificate DER, AK SubjectPublicKeyInfo DER. */
  tpmEnrolment: { ekCertificate: Uint8Array; akPublic: Uint8Array; akName: string } | null;
}

const HASH_BY_KEY: Record<string, string | null> = { 'ecdsa-p256': 'sha256', 'ecdsa-p384': 'sha384', 'ecdsa-p521': 'sha512', 'rsa-4096': 'sha384', ed25519: null };

/** The hash a proof signature uses, as Coldroot signers hash: SHA-384 for P-384 and RSA-4096, SHA-512 for P-521, none for Ed25519, else SHA-256. */
export function proofHashFor(keyType: string): string | null {
  return keyType in HASH_BY_KEY ? HASH_BY_KEY[keyType] : 'sha256';
}

/** Checks what the schema cannot: each CSR verifies, ids are unique, proof certificates parse and proof signatures verify. */
export function checkRenewalRequests(name: string, requests: RenewalRequest[]): CheckedRenewalRequest[] {
  const ids = new Set<string>();
  return requests.map((r, i) => {
    const where = `${name} requests.${i} (${r.requestId})`;
    if (ids.has(r.requestId)) reject('BUNDLE_PAYLOAD_INVALID', `${where}: requestId is used twice`);
    ids.add(r.requestId);
    let csr: ReturnType<typeof readCsr>;
    try {
      csr = readCsr(r.csr, where);
    } catch (e) {
      if (isColdrootError(e)) reject('BUNDLE_PAYLOAD_INVALID', `${where}: ${e.message}`);
      throw e;
    }
    const proofCertificate = 'certificate' in r.proof && r.proof.certificate ? fromPemOrDer(r.proof.certificate, ['CERTIFICATE'])[0] : null;
    let keyType = '';
    if (proofCertificate) {
      try {
        keyType = describeCertificate(proofCertificate).publicKeyType;
      } catch (e) {
        reject('BUNDLE_PAYLOAD_INVALID', `${where}: the proof certificate cannot be parsed: ${(e as Error).message}`);
      }
    }
    const proofSignature = 'signature' in r.proof && r.proof.signature ? new Uint8Array(Buffer.from(r.proof.signature, 'base64')) : null;
    if (proofSignature && proofCertificate) {
      const key = createPublicKey({ key: Buffer.from(describeCertificate(proofCertificate).spki), format: 'der', type: 'spki' });
      let ok = false;
      try {
        ok = nodeVerify(proofHashFor(keyType), csr.der, { key, dsaEncoding: 'der' }, proofSignature);
      } catch {
        ok = false;
      }
      if (!ok) reject('BUNDLE_PAYLOAD_INVALID', `${where}: the proof signature over the CSR does not verify with the ${r.proof.kind}'s key`);
    }
    const proofAttestation = r.proof.kind === 'tpm-attestation' ? new Uint8Array(Buffer.from(r.proof.attestation, 'base64')) : null;
    return { ...r, csrDer: csr.der, subject: csr.subject, proofCertificate, proofSignature, proofAttestation, tpmEnrolment: r.tpm ? decodeTpmEnrolment(where, r.tpm) : null };
  });
}

function decodeTpmEnrolment(where: string, t: TpmEnrolment): NonNullable<CheckedRenewalRequest['tpmEnrolment']> {
  const ekCertificate = fromPemOrDer(t.ekCertificate, ['CERTIFICATE'])[0];
  try {
    describeCertificate(ekCertificate);
  } catch (e) {
    reject('BUNDLE_TPM_ENROLMENT_INVALID', `${where}: tpm.ekCertificate cannot be parsed: ${(e as Error).message}`);
  }
  const akPublic = fromPemOrDer(t.akPublic, ['PUBLIC KEY'])[0];
  let type: string | undefined;
  try {
    type = createPublicKey({ key: Buffer.from(akPublic), format: 'der', type: 'spki' }).asymmetricKeyType;
  } catch (e) {
    reject('BUNDLE_TPM_ENROLMENT_INVALID', `${where}: tpm.akPublic is not a public key: ${(e as Error).message}`);
  }
  if (type !== 'ec' && type !== 'rsa') reject('BUNDLE_TPM_ENROLMENT_INVALID', `${where}: tpm.akPublic is a ${type} key; a TPM attestation key is ECC or RSA`);
  return { ekCertificate, akPublic, akName: t.akName };
}
