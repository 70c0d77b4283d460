import type { Signer } from '../../keys/signer.js';
import { toPem } from '../../x509/asn1.js';
import type { RENEWAL_REASONS, RenewalRequest, TpmEnrolment } from './renewal-request.js';

/** One request as an agent assembles it: the new key's CSR and the proof that it may ask. */
export interface RenewalRequestInput {
  requestId: string;
  host: string;
  profile: string;
  reason: (typeof RENEWAL_REASONS)[number];
  detail?: string;
  /** PKCS#10, DER, signed by the new key. */
  csr: Uint8Array;
  proof:
    | { kind: 'current-certificate'; certificate: Uint8Array; key: Signer }
    | { kind: 'bootstrap-certificate'; certificate: Uint8Array; key?: Signer }
    | { kind: 'tpm-attestation'; attestation: Uint8Array; certificate?: Uint8Array };
  /** Enrols the host's TPM (PEM fields, as the agent's tpmEnrolment returns them); only with a certificate proof. */
  tpm?: TpmEnrolment;
}

const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

/**
 * The content of renewal-request.json (coldroot.renewal-request.v1). For a current or bootstrap
 * certificate the proof signature is that certificate's key signing the CSR's DER, which shows the
 * requester holds the key the console already knows.
 */
export async function renewalRequestFile(requests: RenewalRequestInput[]): Promise<{ requests: RenewalRequest[] }> {
  const out: RenewalRequest[] = [];
  for (const r of requests) {
    const csr = toPem(r.csr, 'CERTIFICATE REQUEST');
    let proof: RenewalRequest['proof'];
    if (r.proof.kind === 'tpm-attestation') {
      proof = { kind: 'tpm-attestation', attestation: b64(r.proof.attestation), ...(r.proof.certificate ? { certificate: toPem(r.proof.certificate, 'CERTIFICATE') } : {}) };
    } else {
      const signature = r.proof.key ? b64(await r.proof.key.sign(r.csr)) : undefined;
      proof = r.proof.kind === 'current-certificate'
        ? { kind: 'current-certificate', certificate: toPem(r.proof.certificate, 'CERTIFICATE'), signature: signature! }
        : { kind: 'bootstrap-certificate', certificate: toPem(r.proof.certificate, 'CERTIFICATE'), ...(signature ? { signature } : {}) };
    }
    out.push({ requestId: r.requestId, host: r.host, profile: r.profile, reason: r.reason, ...(r.detail ? { detail: r.detail } : {}), csr, proof, ...(r.tpm ? { tpm: { ...r.tpm } } : {}) });
  }
  return { requests: out };
}
