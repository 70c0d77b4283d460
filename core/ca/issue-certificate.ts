import { ColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { insertCertificate, serialExists } from '../store/certificate-repository.js';
import { toPem } from '../x509/asn1.js';
import { buildCertificate } from '../x509/certificate-builder.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { readCsr } from '../x509/csr.js';
import { commonNamesOf } from '../x509/distinguished-name.js';
import { openIssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { applyProfile } from './profiles/apply-profile.js';
import { builtinProfile } from './profiles/builtin-profiles.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';
import { randomSerial } from './serial-number.js';

export interface IssueInput {
  caId: string;
  secret: KeySecret;
  /** A built-in profile name, or a parsed custom profile. */
  profile: string | CertificateProfile;
  csr: Uint8Array | string;
  csrSource?: string;
  validity?: string;
}

export interface IssuedCertificate {
  caId: string;
  serial: string;
  subject: string;
  sans: string[];
  profile: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  certificatePem: string;
}


/** Issues one certificate from a PKCS#10 request under a profile; stored with its audit entry in one transaction. */
export async function issueCertificate(ctx: OperationContext, input: IssueInput): Promise<IssuedCertificate> {
  const profile = typeof input.profile === 'string' ? builtinProfile(input.profile) : input.profile;
  if (profile.kind === 'ca') {
    throw new ColdrootError('PROFILE_NOT_FOR_LEAF', `Profile '${profile.name}' is for CA certificates`, 'Create CAs with: coldroot ca create-intermediate');
  }
  const csr = readCsr(input.csr, input.csrSource);
  const issuer = await openIssuingCa(ctx, input.caId, input.secret);
  try {
    const plan = applyProfile(profile,
      { subject: csr.subject, commonNames: commonNamesOf(csr.subject), keyType: csr.keyType, keyIdentifier: csr.keyIdentifier, sans: csr.sans, requestsCa: csr.requestsCa },
      { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen, crlUrl: issuer.ca.crlUrl, ocspUrl: issuer.ca.ocspUrl, caIssuersUrl: issuer.ca.caIssuersUrl },
      ctx.now(), { validity: input.validity });
    let serial = randomSerial();
    while (serialExists(ctx.store.db, issuer.ca.id, serial.hex)) serial = randomSerial();
    const der = await buildCertificate({ serial: serial.bytes, issuer: issuer.subjectDer, subject: csr.subjectDer, notBefore: plan.notBefore, notAfter: plan.notAfter, spki: csr.spki, extensions: plan.extensions }, issuer.signer, issuer.ca.publicKeySpki);
    const info = describeCertificate(der);
    ctx.store.transaction(() => {
      insertCertificate(ctx.store.db, {
        caId: issuer.ca.id, serial: serial.hex, profile: profile.name, subject: info.subject, sans: info.sans, notBefore: info.notBefore,
        notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, der, status: 'good', revokedAt: null, revocationReason: null,
        issuedAt: ctx.now().toISOString(),
      });
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'cert.issue', inputs: { csr: csr.der, profile: profile.name }, outcome: 'ok', details: { caId: issuer.ca.id, serial: serial.hex, profile: profile.name } }, ctx.now());
    });
    return { caId: issuer.ca.id, serial: serial.hex, subject: info.subject, sans: info.sans, profile: profile.name, notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, certificatePem: toPem(der, 'CERTIFICATE') };
  } finally {
    await issuer.signer.close();
  }
}
