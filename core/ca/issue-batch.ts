import { createHash } from 'node:crypto';
import { ColdrootError, isColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { insertCertificate, serialExists } from '../store/certificate-repository.js';
import { toPem } from '../x509/asn1.js';
import { buildCertificate } from '../x509/certificate-builder.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { readCsr } from '../x509/csr.js';
import { commonNamesOf } from '../x509/distinguished-name.js';
import type { IssuedCertificate } from './issue-certificate.js';
import { openIssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { applyProfile } from './profiles/apply-profile.js';
import { builtinProfile } from './profiles/builtin-profiles.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';
import { randomSerial } from './serial-number.js';

export interface BatchIssueInput {
  caId: string;
  secret: KeySecret;
  profile: string | CertificateProfile;
  csrs: Array<{ csr: Uint8Array | string; source?: string }>;
  validity?: string;
  /** Called after each certificate is signed. */
  onProgress?: (done: number, total: number) => void;
}

export interface BatchIssueResult {
  caId: string;
  profile: string;
  issued: IssuedCertificate[];
  /** Requests refused by the profile or unreadable, each with its reason; the rest are issued. */
  rejected: Array<{ source: string; code: string; message: string }>;
}

/**
 * Issues many certificates in one sitting: the CA key is opened once, every request is checked
 * against the profile, and all certificates are stored with one audit entry in one transaction.
 */
export async function issueBatch(ctx: OperationContext, input: BatchIssueInput): Promise<BatchIssueResult> {
  const profile = typeof input.profile === 'string' ? builtinProfile(input.profile) : input.profile;
  if (profile.kind === 'ca') throw new ColdrootError('PROFILE_NOT_FOR_LEAF', `Profile '${profile.name}' is for CA certificates`, 'Create CAs with: coldroot ca create-intermediate');
  const issuer = await openIssuingCa(ctx, input.caId, input.secret);
  const issued: Array<IssuedCertificate & { der: Uint8Array }> = [];
  const rejected: BatchIssueResult['rejected'] = [];
  const serials = new Set<string>();
  try {
    const facts = { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen, crlUrl: issuer.ca.crlUrl, ocspUrl: issuer.ca.ocspUrl, caIssuersUrl: issuer.ca.caIssuersUrl };
    for (const [i, item] of input.csrs.entries()) {
      const source = item.source ?? `#${i + 1}`;
      try {
        const csr = readCsr(item.csr, source);
        const plan = applyProfile(profile, { subject: csr.subject, commonNames: commonNamesOf(csr.subject), keyType: csr.keyType, keyIdentifier: csr.keyIdentifier, sans: csr.sans, requestsCa: csr.requestsCa }, facts, ctx.now(), { validity: input.validity });
        let serial = randomSerial();
        while (serials.has(serial.hex) || serialExists(ctx.store.db, issuer.ca.id, serial.hex)) serial = randomSerial();
        serials.add(serial.hex);
        const der = await buildCertificate({ serial: serial.bytes, issuer: issuer.subjectDer, subject: csr.subjectDer, notBefore: plan.notBefore, notAfter: plan.notAfter, spki: csr.spki, extensions: plan.extensions }, issuer.signer, issuer.ca.publicKeySpki);
        const info = describeCertificate(der);
        issued.push({ caId: issuer.ca.id, serial: serial.hex, subject: info.subject, sans: info.sans, profile: profile.name, notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, certificatePem: toPem(der, 'CERTIFICATE'), der });
      } catch (e) {
        if (!isColdrootError(e) || e.kind !== 'input') throw e;
        rejected.push({ source, code: e.code, message: e.message });
      }
      input.onProgress?.(i + 1, input.csrs.length);
    }
  } finally {
    await issuer.signer.close();
  }
  if (issued.length) {
    const at = ctx.now().toISOString();
    ctx.store.transaction(() => {
      for (const c of issued) {
        insertCertificate(ctx.store.db, { caId: c.caId, serial: c.serial, profile: c.profile, subject: c.subject, sans: c.sans, notBefore: c.notBefore, notAfter: c.notAfter, fingerprintSha256: c.fingerprintSha256, der: c.der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: at });
      }
      const serialsHash = createHash('sha256').update(issued.map((c) => c.serial).join('\n')).digest('hex');
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'cert.issue-batch', inputs: { serials: serialsHash, profile: profile.name }, outcome: 'ok', details: { caId: issuer.ca.id, profile: profile.name, issued: issued.length, rejected: rejected.length, serialsSha256: serialsHash } }, ctx.now());
    });
  }
  return { caId: issuer.ca.id, profile: profile.name, issued: issued.map(({ der: _der, ...c }) => c), rejected };
}
