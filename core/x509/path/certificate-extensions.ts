import { AsnParser } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  CertificatePolicies,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  InhibitAnyPolicy,
  KeyUsage,
  PolicyConstraints,
  PolicyMappings,
  SubjectKeyIdentifier,
  type Extension,
} from '@peculiar/asn1-x509';
import { parseGeneralNames, type GeneralNameValue } from './general-names.js';
import { parseNameConstraints, type NameConstraintsValue } from './name-constraints.js';

export const EXT = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  crlDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
} as const;

export const EXT_NAMES: Record<string, string> = Object.fromEntries(Object.entries(EXT).map(([k, v]) => [v, k]));

/** Extensions whose semantics this validator enforces, so they may be critical (RFC 5280 §6.1.4 (o)). */
export const PROCESSED_EXTENSIONS: ReadonlySet<string> = new Set([
  EXT.basicConstraints,
  EXT.keyUsage,
  EXT.extKeyUsage,
  EXT.subjectAltName,
  EXT.nameConstraints,
  EXT.certificatePolicies,
  EXT.policyMappings,
  EXT.policyConstraints,
  EXT.inhibitAnyPolicy,
]);

/** Key usage bits as named in RFC 5280 §4.2.1.3, in bit order. */
export const KEY_USAGE_BITS = [
  'digitalSignature',
  'nonRepudiation',
  'keyEncipherment',
  'dataEncipherment',
  'keyAgreement',
  'keyCertSign',
  'cRLSign',
  'encipherOnly',
  'decipherOnly',
] as const;
export type KeyUsageName = (typeof KEY_USAGE_BITS)[number];

export interface DecodedExtensions {
  basicConstraints?: { cA: boolean; pathLen?: number };
  keyUsage?: ReadonlySet<KeyUsageName>;
  extKeyUsage?: readonly string[];
  subjectAltNames?: readonly GeneralNameValue[];
  nameConstraints?: NameConstraintsValue;
  subjectKeyId?: Uint8Array;
  authorityKeyId?: { keyId?: Uint8Array; hasIssuer: boolean; hasSerial: boolean };
  policies?: readonly string[];
  policyMappings?: readonly { issuer: string; subject: string }[];
  policyConstraints?: { requireExplicitPolicy?: number; inhibitPolicyMapping?: number };
  inhibitAnyPolicy?: number;
}

function smallInt(buf: ArrayBuffer | undefined): number | undefined {
  if (buf === undefined) return undefined;
  const b = new Uint8Array(buf);
  if (b.length === 0 || b.length > 4 || (b[0] & 0x80) !== 0) throw new Error('SkipCerts out of range');
  return b.reduce((acc, x) => acc * 256 + x, 0);
}

/**
 * Decodes the extensions this validator understands. Returns the decoded values and, for each
 * extension that cannot be decoded, a problem string; problems only matter if the certificate
 * ends up in a candidate path.
 */
export function decodeExtensions(extensions: readonly Extension[]): { decoded: DecodedExtensions; problems: string[] } {
  const decoded: DecodedExtensions = {};
  const problems: string[] = [];
  for (const ext of extensions) {
    const value = new Uint8Array(ext.extnValue.buffer);
    try {
      switch (ext.extnID) {
        case EXT.basicConstraints: {
          const bc = AsnParser.parse(value, BasicConstraints);
          decoded.basicConstraints = { cA: bc.cA, pathLen: bc.pathLenConstraint };
          break;
        }
        case EXT.keyUsage: {
          const bits = AsnParser.parse(value, KeyUsage).toNumber();
          decoded.keyUsage = new Set(KEY_USAGE_BITS.filter((_, i) => (bits & (1 << i)) !== 0));
          break;
        }
        case EXT.extKeyUsage: {
          const eku = Array.from(AsnParser.parse(value, ExtendedKeyUsage));
          if (eku.length === 0) throw new Error('empty (SIZE (1..MAX) required)');
          decoded.extKeyUsage = eku;
          break;
        }
        case EXT.subjectAltName:
          decoded.subjectAltNames = parseGeneralNames(value);
          break;
        case EXT.nameConstraints:
          decoded.nameConstraints = parseNameConstraints(value);
          break;
        case EXT.subjectKeyIdentifier:
          decoded.subjectKeyId = new Uint8Array(AsnParser.parse(value, SubjectKeyIdentifier).buffer);
          break;
        case EXT.authorityKeyIdentifier: {
          const aki = AsnParser.parse(value, AuthorityKeyIdentifier);
          decoded.authorityKeyId = {
            keyId: aki.keyIdentifier ? new Uint8Array(aki.keyIdentifier.buffer) : undefined,
            hasIssuer: aki.authorityCertIssuer !== undefined,
            hasSerial: aki.authorityCertSerialNumber !== undefined,
          };
          break;
        }
        case EXT.certificatePolicies: {
          const cp = Array.from(AsnParser.parse(value, CertificatePolicies)).map((p) => p.policyIdentifier);
          if (cp.length === 0) throw new Error('empty (SIZE (1..MAX) required)');
          decoded.policies = cp;
          break;
        }
        case EXT.policyMappings:
          decoded.policyMappings = Array.from(AsnParser.parse(value, PolicyMappings)).map((m) => ({
            issuer: m.issuerDomainPolicy,
            subject: m.subjectDomainPolicy,
          }));
          break;
        case EXT.policyConstraints: {
          const pc = AsnParser.parse(value, PolicyConstraints);
          decoded.policyConstraints = {
            requireExplicitPolicy: smallInt(pc.requireExplicitPolicy),
            inhibitPolicyMapping: smallInt(pc.inhibitPolicyMapping),
          };
          break;
        }
        case EXT.inhibitAnyPolicy:
          decoded.inhibitAnyPolicy = smallInt(AsnParser.parse(value, InhibitAnyPolicy).value);
          break;
        case EXT.authorityInfoAccess:
          if (AsnParser.parse(value, AuthorityInfoAccessSyntax).length === 0) throw new Error('empty');
          break;
        case EXT.crlDistributionPoints:
          if (AsnParser.parse(value, CRLDistributionPoints).length === 0) throw new Error('empty');
          break;
        default:
          break;
      }
    } catch (e) {
      problems.push(`extension ${EXT_NAMES[ext.extnID] ?? ext.extnID} cannot be decoded (${(e as Error).message})`);
    }
  }
  return { decoded, problems };
}
