import type { KeySecret } from '../keys/key-spec.js';
import { issueBatch, type IssuedCertificate } from './issue-batch.js';
import type { OperationContext } from './operation-context.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';

export type { IssuedCertificate };

export interface IssueInput {
  caId: string;
  secret: KeySecret;
  /** A built-in profile name, or a parsed custom profile. */
  profile: string | CertificateProfile;
  csr: Uint8Array | string;
  csrSource?: string;
  validity?: string;
}

/** Issues one certificate from a PKCS#10 request: a batch of one whose refusal is an error. */
export async function issueCertificate(ctx: OperationContext, input: IssueInput): Promise<IssuedCertificate> {
  const r = await issueBatch(ctx, { caId: input.caId, secret: input.secret, profile: input.profile, csrs: [{ csr: input.csr, source: input.csrSource }], validity: input.validity }, { action: 'cert.issue', single: true });
  return r.issued[0];
}
