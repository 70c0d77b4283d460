import { Extension } from '@peculiar/asn1-x509';
import { ColdrootError } from '../../errors.js';
import {
  authorityInfoAccessExtension, authorityKeyIdentifierExtension, basicConstraintsExtension, crlDistributionPointsExtension,
  extendedKeyUsageExtension, keyUsageExtension, nameConstraintsExtension, ocspNoCheckExtension, subjectAltNameExtension,
  subjectKeyIdentifierExtension, type SubjectAltNames,
} from '../../x509/extensions.js';
import { durationMs, type CertificateProfile } from './certificate-profile.js';
import { checkRequest, reject, sanCritical, type SubjectRequest } from './request-rules.js';

export interface IssuerFacts {
  keyIdentifier: Uint8Array | null; // null for a self-signed root
  notAfter: Date | null; // null for a self-signed root
  pathLen: number | null | undefined; // the issuer's own pathLenConstraint
  crlUrl?: string | null;
  ocspUrl?: string | null;
  caIssuersUrl?: string | null;
}

export interface ProfileOptions {
  /** Requested validity ('90d', '12h'); the profile default when absent. */
  validity?: string;
  /** CA profiles only: requested pathLenConstraint (overrides the profile's). */
  pathLength?: number | null;
  nameConstraints?: CertificateProfile['nameConstraints'];
}

/** notBefore (now, whole seconds) and notAfter (requested or default validity, capped by the issuer's). */
export function validityWindow(profile: CertificateProfile, issuer: IssuerFacts, now: Date, validity = profile.validity.default): { notBefore: Date; notAfter: Date } {
  if (!/^[1-9][0-9]*[hd]$/.test(validity)) reject('BAD_VALIDITY', `Validity '${validity}' is not a duration`, "Write it as hours or days: '24h', '365d'");
  if (durationMs(validity) > durationMs(profile.validity.max)) {
    reject('VALIDITY_TOO_LONG', `Validity ${validity} exceeds the maximum ${profile.validity.max} of profile '${profile.name}'`, `Request at most ${profile.validity.max}`);
  }
  const notBefore = new Date(Math.floor(now.getTime() / 1000) * 1000);
  let notAfter = new Date(notBefore.getTime() + durationMs(validity) - 1000);
  if (issuer.notAfter && notAfter > issuer.notAfter) notAfter = issuer.notAfter; // never outlive the issuer
  return { notBefore, notAfter };
}

/** The extensions, in their fixed order, of a certificate under `profile` for this request. */
export function profileExtensions(profile: CertificateProfile, req: SubjectRequest, issuer: IssuerFacts, opts: ProfileOptions = {}): Extension[] {
  const ext: Extension[] = [];
  if (profile.kind === 'ca') {
    let pathLen = opts.pathLength !== undefined ? opts.pathLength : profile.pathLength ?? null;
    if (issuer.pathLen !== undefined && issuer.pathLen !== null) {
      if (issuer.pathLen === 0) reject('PATH_LENGTH_EXCEEDED', 'The parent CA has pathLenConstraint 0: it may not issue CA certificates', 'Create the intermediate under a CA with a larger path length');
      if (pathLen === null || pathLen > issuer.pathLen - 1) pathLen = issuer.pathLen - 1;
    }
    ext.push(basicConstraintsExtension(true, pathLen));
    const nc = opts.nameConstraints ?? profile.nameConstraints;
    if (nc && (nc.permitted || nc.excluded)) ext.push(nameConstraintsExtension(nc));
  } else {
    ext.push(basicConstraintsExtension(false));
  }
  const isRsa = req.keyType.startsWith('rsa-');
  // keyEncipherment only makes sense for RSA key transport; EC and Ed25519 keys never get it.
  ext.push(keyUsageExtension(profile.keyUsage.filter((u) => u !== 'keyEncipherment' || isRsa)));
  if (profile.extendedKeyUsage?.length) ext.push(extendedKeyUsageExtension(profile.extendedKeyUsage));
  ext.push(subjectKeyIdentifierExtension(req.keyIdentifier));
  if (issuer.keyIdentifier) ext.push(authorityKeyIdentifierExtension(issuer.keyIdentifier));
  if (hasAnySan(req.sans)) ext.push(subjectAltNameExtension(req.sans, sanCritical(req)));
  if (issuer.keyIdentifier) {
    if (issuer.crlUrl) ext.push(crlDistributionPointsExtension(issuer.crlUrl));
    if (issuer.ocspUrl || issuer.caIssuersUrl) ext.push(authorityInfoAccessExtension(issuer.ocspUrl, issuer.caIssuersUrl));
  }
  if (profile.ocspNoCheck) ext.push(ocspNoCheckExtension());
  return ext;
}

export function hasAnySan(sans: SubjectAltNames): boolean {
  return Object.values(sans).some((v) => v && v.length);
}

/** Validity window and extensions for a certificate under `profile`, after enforcing its rules. */
export function applyProfile(profile: CertificateProfile, req: SubjectRequest, issuer: IssuerFacts, now: Date, opts: ProfileOptions = {}): { notBefore: Date; notAfter: Date; extensions: Extension[] } {
  checkRequest(profile, req);
  const { notBefore, notAfter } = validityWindow(profile, issuer, now, opts.validity);
  return { notBefore, notAfter, extensions: profileExtensions(profile, req, issuer, opts) };
}
