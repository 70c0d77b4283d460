import { z } from 'zod';

/**
 * coldroot.tpm-attestation.v1: what the `attestation` field of a 'tpm-attestation' proof carries
 * (base64 of this JSON, UTF-8). Plain Node and zod only: the agent builds it, the console reads it.
 */
export const ATTESTATION_SCHEMA_V1 = 'coldroot.tpm-attestation.v1';

const B64 = (max: number) => z.string().max(Math.ceil(max / 3) * 4).regex(/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/, 'base64');

export const AttestationEvidenceSchema = z.strictObject({
  schema: z.literal(ATTESTATION_SCHEMA_V1),
  /** The console-issued nonce (hex), from the instructions of the host's last renewal bundle. */
  nonce: z.string().regex(/^[0-9a-f]{64}$/),
  /** TPMS_ATTEST bytes as the TPM signed them (tpm2_quote -m). */
  quote: B64(4096),
  /** TPMT_SIGNATURE (tpm2_quote -s, default format). */
  signature: B64(4096),
  /** The TPM's endorsement key certificate, DER, base64. */
  ekCertificate: B64(8192),
});
export type AttestationEvidence = z.infer<typeof AttestationEvidenceSchema>;

export interface DecodedEvidence {
  nonce: Uint8Array;
  quote: Uint8Array;
  signature: Uint8Array;
  ekCertificate: Uint8Array;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');
const bytes = (s: string) => new Uint8Array(Buffer.from(s, 'base64'));

export function encodeEvidence(e: DecodedEvidence): Uint8Array {
  const v: AttestationEvidence = { schema: ATTESTATION_SCHEMA_V1, nonce: Buffer.from(e.nonce).toString('hex'), quote: b64(e.quote), signature: b64(e.signature), ekCertificate: b64(e.ekCertificate) };
  return new TextEncoder().encode(JSON.stringify(v));
}

/** Strict decode; a failure says which field is wrong. */
export function decodeEvidence(blob: Uint8Array): { ok: true; value: DecodedEvidence } | { ok: false; message: string } {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(blob));
  } catch (e) {
    return { ok: false, message: `the attestation is not UTF-8 JSON (${ATTESTATION_SCHEMA_V1}): ${(e as Error).message}` };
  }
  const r = AttestationEvidenceSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    return { ok: false, message: `the attestation (${ATTESTATION_SCHEMA_V1}): ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}` };
  }
  const v = r.data;
  return { ok: true, value: { nonce: new Uint8Array(Buffer.from(v.nonce, 'hex')), quote: bytes(v.quote), signature: bytes(v.signature), ekCertificate: bytes(v.ekCertificate) } };
}
