import 'reflect-metadata';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax, AuthorityKeyIdentifier, BasicConstraints, CertificatePolicies, CRLDistributionPoints, ExtendedKeyUsage,
  KeyUsage, SubjectKeyIdentifier, type Extension, type GeneralName,
} from '@peculiar/asn1-x509';
import { EKU_OIDS, KEY_USAGES } from '../x509/key-purposes.js';
import { nameToText } from '../x509/name-text.js';
import { describeGeneralName, parseGeneralNames } from '../x509/path/general-names.js';
import { parseNameConstraints } from '../x509/path/name-constraints.js';

/** One extension as the console shows it: OID, name, criticality and its value as lines of text. */
export interface ExtensionText {
  oid: string;
  name: string;
  critical: boolean;
  value: string[];
}

const NAMES: Record<string, string> = {
  '2.5.29.14': 'Subject Key Identifier', '2.5.29.15': 'Key Usage', '2.5.29.17': 'Subject Alternative Name', '2.5.29.18': 'Issuer Alternative Name',
  '2.5.29.19': 'Basic Constraints', '2.5.29.30': 'Name Constraints', '2.5.29.31': 'CRL Distribution Points', '2.5.29.32': 'Certificate Policies',
  '2.5.29.35': 'Authority Key Identifier', '2.5.29.36': 'Policy Constraints', '2.5.29.37': 'Extended Key Usage', '2.5.29.54': 'Inhibit anyPolicy',
  '1.3.6.1.5.5.7.1.1': 'Authority Information Access', '1.3.6.1.5.5.7.48.1.5': 'OCSP No Check', '1.3.6.1.4.1.11129.2.4.2': 'CT Precertificate SCTs',
  '1.3.6.1.4.1.11129.2.4.3': 'CT Precertificate Poison',
};
const EKU_NAMES: Record<string, string> = Object.fromEntries(Object.entries(EKU_OIDS).map(([k, v]) => [v, k]));
const ACCESS_METHODS: Record<string, string> = { '1.3.6.1.5.5.7.48.1': 'OCSP', '1.3.6.1.5.5.7.48.2': 'CA Issuers' };

export const colonHex = (b: Uint8Array | ArrayBuffer): string => Buffer.from(b instanceof ArrayBuffer ? new Uint8Array(b) : b).toString('hex').replace(/(..)(?=.)/g, '$1:');

function generalName(n: GeneralName): string {
  if (n.dNSName !== undefined) return `DNS:${n.dNSName}`;
  if (n.uniformResourceIdentifier !== undefined) return `URI:${n.uniformResourceIdentifier}`;
  if (n.rfc822Name !== undefined) return `email:${n.rfc822Name}`;
  if (n.iPAddress !== undefined) return `IP:${n.iPAddress}`;
  if (n.directoryName !== undefined) return `DirName:${nameToText(new Uint8Array(AsnSerializer.serialize(n.directoryName)))}`;
  return 'other name';
}

function decodeValue(oid: string, der: Uint8Array): string[] {
  switch (oid) {
    case '2.5.29.19': {
      const bc = AsnParser.parse(der, BasicConstraints);
      return [`CA: ${bc.cA ? 'TRUE' : 'FALSE'}`, ...(bc.pathLenConstraint !== undefined ? [`pathLenConstraint: ${bc.pathLenConstraint}`] : bc.cA ? ['pathLenConstraint: none (unlimited)'] : [])];
    }
    case '2.5.29.15': {
      const flags = AsnParser.parse(der, KeyUsage).toNumber();
      return KEY_USAGES.filter((_, i) => flags & (1 << i));
    }
    case '2.5.29.37':
      return AsnParser.parse(der, ExtendedKeyUsage).map((o) => (EKU_NAMES[o] ? `${EKU_NAMES[o]} (${o})` : o));
    case '2.5.29.14':
      return [colonHex(AsnParser.parse(der, SubjectKeyIdentifier).buffer)];
    case '2.5.29.35': {
      const aki = AsnParser.parse(der, AuthorityKeyIdentifier);
      return [
        ...(aki.keyIdentifier ? [`keyid: ${colonHex(aki.keyIdentifier.buffer)}`] : []),
        ...(aki.authorityCertIssuer ? aki.authorityCertIssuer.map((n) => `issuer: ${generalName(n)}`) : []),
        ...(aki.authorityCertSerialNumber ? [`serial: ${colonHex(aki.authorityCertSerialNumber)}`] : []),
      ];
    }
    case '2.5.29.17':
    case '2.5.29.18':
      return parseGeneralNames(der).map(describeGeneralName);
    case '2.5.29.30': {
      const nc = parseNameConstraints(der);
      return [...nc.permitted.map((n) => `permitted: ${describeGeneralName(n)}`), ...nc.excluded.map((n) => `excluded: ${describeGeneralName(n)}`)];
    }
    case '2.5.29.31':
      return AsnParser.parse(der, CRLDistributionPoints).flatMap((dp) => (dp.distributionPoint?.fullName ?? []).map((n) => `Full name: ${generalName(n)}`));
    case '1.3.6.1.5.5.7.1.1':
      return AsnParser.parse(der, AuthorityInfoAccessSyntax).map((a) => `${ACCESS_METHODS[a.accessMethod] ?? a.accessMethod}: ${generalName(a.accessLocation)}`);
    case '2.5.29.32':
      return AsnParser.parse(der, CertificatePolicies).map((p) => `Policy: ${p.policyIdentifier === '2.5.29.32.0' ? 'anyPolicy (2.5.29.32.0)' : p.policyIdentifier}`);
    case '1.3.6.1.5.5.7.48.1.5':
      return ['NULL (responses from this responder are not checked for revocation)'];
    default:
      return [`DER: ${colonHex(der)}`];
  }
}

/** Decodes an extension; one the console cannot read is shown as its DER, with the reason. */
export function describeExtension(ext: Extension): ExtensionText {
  const der = new Uint8Array(ext.extnValue.buffer);
  let value: string[];
  try {
    value = decodeValue(ext.extnID, der);
  } catch (e) {
    value = [`(cannot decode: ${(e as Error).message})`, `DER: ${colonHex(der)}`];
  }
  return { oid: ext.extnID, name: NAMES[ext.extnID] ?? ext.extnID, critical: ext.critical ?? false, value };
}
