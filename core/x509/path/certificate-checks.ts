import { EXT, EXT_NAMES, PROCESSED_EXTENSIONS } from './certificate-extensions.js';
import { bytesEqual } from './der.js';
import { nameConstraintsProblem } from './name-constraints.js';
import type { ParsedCertificate } from './parsed-certificate.js';
import { failure, formatTime, type PathFailure } from './path-failure.js';
import { verifySignature } from './signature.js';

/** 'leaf': the certificate being validated; 'issuer': an intermediate; 'anchor': a trusted certificate that signs the next one. */
export type CertificateRole = 'leaf' | 'issuer' | 'anchor';

/** Validity is encoded in whole seconds, so the validation time is floored before comparing. */
function wholeSeconds(d: Date): number {
  return Math.floor(d.getTime() / 1000) * 1000;
}

export function validityFailure(cert: ParsedCertificate, at: Date): PathFailure | null {
  const t = wholeSeconds(at);
  if (t < cert.notBefore.getTime()) {
    return failure('NOT_YET_VALID', `certificate '${cert.label}' is not valid before ${formatTime(cert.notBefore)}, validation time ${formatTime(at)}`, cert.label);
  }
  if (t > cert.notAfter.getTime()) {
    return failure('EXPIRED', `certificate '${cert.label}' expired at ${formatTime(cert.notAfter)}, validation time ${formatTime(at)}`, cert.label);
  }
  return null;
}

function issuerRoleFailure(cert: ParsedCertificate): PathFailure | null {
  const bc = cert.ext.basicConstraints;
  if (!bc) return failure('NOT_A_CA', `certificate '${cert.label}' is used as an issuer but has no basicConstraints extension`, cert.label);
  if (!bc.cA) return failure('NOT_A_CA', `certificate '${cert.label}' is used as an issuer but its basicConstraints cA is false`, cert.label);
  if (cert.ext.keyUsage && !cert.ext.keyUsage.has('keyCertSign')) {
    return failure('KEY_USAGE', `certificate '${cert.label}' is used as an issuer but its keyUsage lacks keyCertSign`, cert.label);
  }
  return null;
}

/**
 * RFC 5280 profile rules that a conforming CA MUST follow and that we enforce, as OpenSSL's
 * X509_V_FLAG_X509_STRICT and the x509-limbo suite do. Returns the first rule broken, or null.
 */
export function profileViolation(cert: ParsedCertificate, role: CertificateRole): string | null {
  const { ext, extensions } = cert;
  const critical = (oid: string) => extensions.get(oid)?.critical === true;
  if (cert.version !== 3) return `is a version ${cert.version} certificate (only version 3 is accepted)`;
  // How an anchor was issued (its serial, its issuer's key id) is outside the trust decision:
  // real roots with serial 0 and trusted cross-certificates without AKI exist.
  const s = cert.serial;
  if (role !== 'anchor') {
    if (s.length > 20) return `has a serial number of ${s.length} octets (at most 20 are allowed)`;
    if ((s[0] & 0x80) !== 0 || s.every((b) => b === 0)) return 'has a serial number that is not positive';
  }
  if (cert.issuer.isEmpty) return 'has an empty issuer name';
  const aki = ext.authorityKeyId;
  if (critical(EXT.authorityKeyIdentifier)) return 'marks authorityKeyIdentifier critical';
  if (aki && !aki.keyId) return 'has an authorityKeyIdentifier without keyIdentifier';
  if (!aki && !cert.selfIssued && role !== 'anchor') return 'has no authorityKeyIdentifier (required unless self-issued)';
  if (critical(EXT.subjectKeyIdentifier)) return 'marks subjectKeyIdentifier critical';
  const bc = ext.basicConstraints;
  if (bc?.cA) {
    if (!ext.subjectKeyId) return 'is a CA certificate without subjectKeyIdentifier';
    if (!critical(EXT.basicConstraints)) return 'is a CA certificate whose basicConstraints is not critical';
  }
  if (bc?.pathLen !== undefined && (!bc.cA || (ext.keyUsage && !ext.keyUsage.has('keyCertSign')))) {
    return 'sets pathLenConstraint without being a CA allowed to sign certificates';
  }
  if (ext.keyUsage?.has('keyCertSign') && !bc?.cA) return 'asserts keyUsage keyCertSign without basicConstraints cA';
  if (bc?.cA && ext.keyUsage && !ext.keyUsage.has('keyCertSign')) {
    return 'is a CA certificate whose keyUsage lacks keyCertSign (inconsistent with basicConstraints cA)';
  }
  if (cert.subject.isEmpty) {
    if (bc?.cA || ext.keyUsage?.has('cRLSign')) return 'is a CA certificate with an empty subject';
    if (!ext.subjectAltNames) return 'has an empty subject and no subjectAltName';
    if (!critical(EXT.subjectAltName)) return 'has an empty subject but a non-critical subjectAltName';
  }
  if (ext.nameConstraints && !bc?.cA) return 'carries nameConstraints without being a CA';
  if (extensions.has(EXT.policyConstraints) && !critical(EXT.policyConstraints)) return 'marks policyConstraints non-critical';
  if (extensions.has(EXT.inhibitAnyPolicy) && !critical(EXT.inhibitAnyPolicy)) return 'marks inhibitAnyPolicy non-critical';
  return null;
}

/** A self-signed certificate whose authorityKeyIdentifier names some other key. */
function selfSignedAkiMismatch(cert: ParsedCertificate): boolean {
  const aki = cert.ext.authorityKeyId?.keyId;
  const ski = cert.ext.subjectKeyId;
  if (!cert.selfIssued || !aki || !ski || bytesEqual(aki, ski)) return false;
  const own = cert.publicKey();
  return 'key' in own && verifySignature(cert.tbs, cert.signatureAlgorithm, cert.signature, own.key).ok;
}

/**
 * Checks that depend on the certificate alone (and its role), applied to every certificate of a
 * candidate path including the trust anchor. Path-dependent rules live in validate-chain.ts.
 */
export function certificateFailure(cert: ParsedCertificate, at: Date, role: CertificateRole): PathFailure | null {
  const who = `certificate '${cert.label}'`;
  if (cert.problems.length > 0) return failure('MALFORMED', `${who} is malformed: ${cert.problems[0]}`, cert.label);
  if (!cert.signatureAlgorithmsMatch) {
    return failure('MALFORMED', `${who} is malformed: signatureAlgorithm differs from tbsCertificate.signature`, cert.label);
  }
  const validity = validityFailure(cert, at);
  if (validity) return validity;
  if (role !== 'leaf') {
    const r = issuerRoleFailure(cert);
    if (r) return r;
  }
  for (const [oid, e] of cert.extensions) {
    if (e.critical && !PROCESSED_EXTENSIONS.has(oid) && oid !== EXT.authorityKeyIdentifier && oid !== EXT.subjectKeyIdentifier) {
      return failure('UNKNOWN_CRITICAL_EXTENSION', `${who} has critical extension ${EXT_NAMES[oid] ?? oid}, which this validator does not process`, cert.label);
    }
  }
  const key = cert.publicKey();
  if ('error' in key) return failure(key.code, `${who} has an unusable key: ${key.error}`, cert.label);
  const profile = profileViolation(cert, role);
  if (profile) return failure('PROFILE_VIOLATION', `${who} ${profile}`, cert.label);
  if (selfSignedAkiMismatch(cert)) {
    return failure('PROFILE_VIOLATION', `${who} is self-signed but its authorityKeyIdentifier differs from its subjectKeyIdentifier`, cert.label);
  }
  if (cert.ext.nameConstraints) {
    const p = nameConstraintsProblem(cert.ext.nameConstraints);
    if (p) return failure('NAME_CONSTRAINTS', `${who} has unusable name constraints: ${p}`, cert.label);
  }
  return null;
}
