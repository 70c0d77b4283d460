import { Extension } from '@peculiar/asn1-x509';
import { isIP } from 'node:net';
import { ColdrootError } from '../../errors.js';
import {
  authorityInfoAccessExtension, authorityKeyIdentifierExtension, basicConstraintsExtension, crlDistributionPointsExtension,
  extendedKeyUsageExtension, keyUsageExtension, nameConstraintsExtension, ocspNoCheckExtension, subjectAltNameExtension,
  subjectKeyIdentifierExtension, type SubjectAltNames,
} from '../../x509/extensions.js';
import { durationMs, type CertificateProfile, type SanType } from './certificate-profile.js';

export interface SubjectRequest {
  subject: string; // RFC 4514 text, for messages and the CN rule
  commonNames: string[];
  keyType: string;
  keyIdentifier: Uint8Array;
  sans: SubjectAltNames;
  requestsCa: boolean;
}

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

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

function reject(code: string, message: string, hint: string): never {
  throw new ColdrootError(code, message, hint);
}

function checkSans(profile: CertificateProfile, req: SubjectRequest): void {
  const present = (Object.keys(req.sans) as SanType[]).filter((t) => (req.sans[t]?.length ?? 0) > 0);
  if (profile.subjectAltName.required && present.length === 0) {
    reject('SAN_REQUIRED', `Profile '${profile.name}' requires a subjectAltName but the request for '${req.subject}' has none`, `Add the names to the CSR (e.g. openssl req … -addext "subjectAltName=DNS:host.example")`);
  }
  for (const t of present) {
    if (!profile.subjectAltName.types.includes(t)) {
      reject('SAN_TYPE_NOT_ALLOWED', `Profile '${profile.name}' does not allow ${t} subjectAltNames (requested: ${req.sans[t]!.join(', ')})`, `Allowed types: ${profile.subjectAltName.types.join(', ') || 'none'}`);
    }
  }
  for (const d of req.sans.dns ?? []) {
    if (!DNS_NAME.test(d) || d.length > 253) reject('SAN_INVALID', `'${d}' is not a valid DNS name`, 'Use letters, digits and hyphens; a wildcard only as the whole leftmost label');
  }
  for (const ip of req.sans.ip ?? []) {
    if (!isIP(ip)) reject('SAN_INVALID', `'${ip}' is not a valid IP address`, 'Use a dotted IPv4 or an IPv6 address');
  }
  if (profile.commonNameMustBeSan) {
    const all = [...(req.sans.dns ?? []).map((d) => d.toLowerCase()), ...(req.sans.ip ?? [])];
    for (const cn of req.commonNames) {
      if (!all.includes(cn.toLowerCase())) {
        reject('CN_NOT_IN_SAN', `The subject CN '${cn}' is not one of the subjectAltNames (${all.join(', ') || 'none'})`, 'Repeat the CN in the subjectAltName, or leave the CN out of the CSR');
      }
    }
  }
}

/** Enforces the profile's rules on one request (key type, CA flag, SANs, CN rule). */
export function checkRequest(profile: CertificateProfile, req: SubjectRequest): void {
  if (!profile.allowedKeyTypes.includes(req.keyType as never)) {
    reject('KEY_TYPE_NOT_ALLOWED', `Profile '${profile.name}' does not allow ${req.keyType} keys`, `Allowed: ${profile.allowedKeyTypes.join(', ')}`);
  }
  if (profile.kind === 'leaf' && req.requestsCa) {
    reject('CA_NOT_ALLOWED', `The request for '${req.subject}' asks for CA:TRUE, which profile '${profile.name}' (a leaf profile) never grants`, 'Remove basicConstraints CA:TRUE from the CSR, or create a CA with: coldroot ca create-intermediate');
  }
  checkSans(profile, req);
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

/** True when a SAN must be marked critical: the subject is empty (RFC 5280 §4.2.1.6). */
export function sanCritical(req: Pick<SubjectRequest, 'subject' | 'commonNames'>): boolean {
  return req.commonNames.length === 0 && req.subject === '';
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
