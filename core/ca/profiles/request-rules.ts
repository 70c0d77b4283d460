import { isIP } from 'node:net';
import { ColdrootError } from '../../errors.js';
import type { SubjectAltNames } from '../../x509/extensions.js';
import type { CertificateProfile, SanType } from './certificate-profile.js';

// The per-request rules of a profile. Kept free of ASN.1 and schema libraries: batch worker
// threads load this module, and every import here is paid once per thread.

export interface SubjectRequest {
  subject: string; // RFC 4514 text, for messages and the CN rule
  commonNames: string[];
  keyType: string;
  keyIdentifier: Uint8Array;
  sans: SubjectAltNames;
  requestsCa: boolean;
}

const DNS_NAME = /^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

export function reject(code: string, message: string, hint: string): never {
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


/** True when a SAN must be marked critical: the subject is empty (RFC 5280 §4.2.1.6). */
export function sanCritical(req: Pick<SubjectRequest, 'subject' | 'commonNames'>): boolean {
  return req.commonNames.length === 0 && req.subject === '';
}

