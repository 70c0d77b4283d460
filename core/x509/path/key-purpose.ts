import { KEY_USAGE_BITS, type KeyUsageName } from './certificate-extensions.js';
import { EKU_OIDS } from '../key-purposes.js';
import type { ParsedCertificate } from './parsed-certificate.js';
import { failure, type PathFailure } from './path-failure.js';

export const ANY_EXTENDED_KEY_USAGE = '2.5.29.37.0';

export const PURPOSE_OIDS: Readonly<Record<string, string>> = EKU_OIDS;
const PURPOSE_NAMES: Record<string, string> = Object.fromEntries(Object.entries(PURPOSE_OIDS).map(([k, v]) => [v, k]));

export function purposeName(oid: string): string {
  return PURPOSE_NAMES[oid] ?? (oid === ANY_EXTENDED_KEY_USAGE ? 'anyExtendedKeyUsage' : oid);
}

/** The EKU OID to require, null for 'any' / unset, or an error for an unknown name. */
export function resolvePurpose(purpose: string | undefined): { oid: string | null } | { error: string } {
  if (purpose === undefined || purpose === 'any') return { oid: null };
  if (PURPOSE_OIDS[purpose]) return { oid: PURPOSE_OIDS[purpose] };
  if (/^[0-2](\.(0|[1-9]\d*))+$/.test(purpose)) return { oid: purpose };
  return { error: `unknown purpose '${purpose}' (use one of ${Object.keys(PURPOSE_OIDS).join(', ')}, any, or a dotted OID)` };
}

export function resolveKeyUsage(names: readonly string[] | undefined): { bits: KeyUsageName[] } | { error: string } {
  const bits: KeyUsageName[] = [];
  for (const n of names ?? []) {
    const bit = KEY_USAGE_BITS.find((b) => b.toLowerCase() === n.toLowerCase());
    if (!bit) return { error: `unknown key usage '${n}' (use one of ${KEY_USAGE_BITS.join(', ')})` };
    bits.push(bit);
  }
  return { bits };
}

function allows(eku: readonly string[], oid: string): boolean {
  return eku.includes(oid) || eku.includes(ANY_EXTENDED_KEY_USAGE);
}

/**
 * RFC 5280 §4.2.1.12: an absent EKU allows any purpose; a present one must list it (or
 * anyExtendedKeyUsage). OCSP signing is stricter (RFC 6960 §4.2.2.2): a delegated responder must
 * list id-kp-OCSPSigning itself, so no ordinary certificate of the CA can sign its responses.
 */
export function leafPurposeFailure(leaf: ParsedCertificate, oid: string | null): PathFailure | null {
  const eku = leaf.ext.extKeyUsage;
  if (oid === PURPOSE_OIDS.ocspSigning && !eku?.includes(oid)) {
    return failure('EXTENDED_KEY_USAGE', `certificate '${leaf.label}' is not an OCSP responder: its extendedKeyUsage does not list ocspSigning`, leaf.label);
  }
  if (oid === null || !eku || allows(eku, oid)) return null;
  return failure(
    'EXTENDED_KEY_USAGE',
    `certificate '${leaf.label}' is not valid for ${purposeName(oid)}: its extendedKeyUsage lists ${eku.map(purposeName).join(', ')}`,
    leaf.label,
  );
}

/**
 * EKU chaining: an issuing CA that carries an EKU extension limits what it may vouch for, so it
 * must list the purpose (or anyExtendedKeyUsage). This is what Windows, NSS, Go and OpenSSL do.
 * OCSP signing is exempt: delegated responders are issued by CAs whose EKU describes their
 * subscribers, and RFC 6960 only asks the responder certificate itself for id-kp-OCSPSigning.
 */
export function issuerPurposeFailure(ca: ParsedCertificate, oid: string | null): PathFailure | null {
  const eku = ca.ext.extKeyUsage;
  if (oid === null || oid === PURPOSE_OIDS.ocspSigning || !eku || allows(eku, oid)) return null;
  return failure(
    'EXTENDED_KEY_USAGE',
    `issuer '${ca.label}' limits its extendedKeyUsage to ${eku.map(purposeName).join(', ')}, which excludes ${purposeName(oid)}`,
    ca.label,
  );
}

export function leafKeyUsageFailure(leaf: ParsedCertificate, required: readonly KeyUsageName[]): PathFailure | null {
  const ku = leaf.ext.keyUsage;
  if (!ku) return null;
  const missing = required.filter((b) => !ku.has(b));
  if (missing.length === 0) return null;
  return failure('KEY_USAGE', `certificate '${leaf.label}' keyUsage lacks ${missing.join(', ')} (it has ${[...ku].join(', ') || 'none'})`, leaf.label);
}
