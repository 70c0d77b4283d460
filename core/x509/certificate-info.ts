import 'reflect-metadata';
import { createHash } from 'node:crypto';
import {
  AuthorityKeyIdentifierExtension, BasicConstraintsExtension, ExtendedKeyUsageExtension, KeyUsagesExtension,
  SubjectAlternativeNameExtension, SubjectKeyIdentifierExtension, X509Certificate,
} from '@peculiar/x509';
import { ColdrootError } from '../errors.js';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { decodeDer, fromPemOrDer } from './asn1.js';
import { splitSigned } from './der-reader.js';
import { certificateFields } from './certificate-fields.js';
import { describePublicKey } from './public-key.js';
import { KEY_USAGES } from './key-purposes.js';

/** A decoded, read-only view of a certificate for display, import and checks. */
export interface CertificateInfo {
  subject: string;
  issuer: string;
  serial: string; // lowercase hex, no leading zeros
  notBefore: string; // ISO
  notAfter: string;
  isCa: boolean;
  pathLength: number | null;
  subjectKeyId: string | null;
  authorityKeyId: string | null;
  sans: string[]; // 'DNS:…', 'IP:…', 'email:…', 'URI:…'
  keyUsage: string[];
  extendedKeyUsage: string[];
  publicKeyType: string;
  spki: Uint8Array;
  signatureAlgorithm: string;
  fingerprintSha256: string;
  selfIssued: boolean;
}

export function describeCertificate(der: Uint8Array): CertificateInfo {
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    throw new ColdrootError('CERTIFICATE_INVALID', `The certificate cannot be parsed: ${(e as Error).message}`, 'Give a PEM or DER X.509 certificate');
  }
  const fields = certificateFields(der);
  const bc = cert.getExtension(BasicConstraintsExtension);
  const ski = cert.getExtension(SubjectKeyIdentifierExtension);
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension);
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  const ku = cert.getExtension(KeyUsagesExtension);
  const eku = cert.getExtension(ExtendedKeyUsageExtension);
  const prefix: Record<string, string> = { dns: 'DNS', ip: 'IP', email: 'email', url: 'URI' };
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    serial: Buffer.from(fields.serial).toString('hex').replace(/^0+(?=.)/, ''),
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
    isCa: bc?.ca ?? false,
    pathLength: bc?.ca && bc.pathLength !== undefined ? bc.pathLength : null,
    subjectKeyId: ski?.keyId ?? null,
    authorityKeyId: aki?.keyId ?? null,
    sans: (san?.names.items ?? []).map((n) => `${prefix[n.type] ?? n.type}:${n.value}`),
    keyUsage: ku ? KEY_USAGES.filter((_, i) => ku.usages & (1 << i)) : [],
    extendedKeyUsage: (eku?.usages ?? []).map(String),
    publicKeyType: describePublicKey(fields.spki).type,
    spki: fields.spki,
    signatureAlgorithm: signatureAlgorithmName(decodeDer(splitSigned(der).algorithm, AlgorithmIdentifier).algorithm),
    fingerprintSha256: createHash('sha256').update(der).digest('hex'),
    selfIssued: Buffer.compare(Buffer.from(fields.issuer), Buffer.from(fields.subject)) === 0,
  };
}

export function readCertificates(data: Uint8Array | string): Uint8Array[] {
  return fromPemOrDer(data, ['CERTIFICATE', 'TRUSTED CERTIFICATE']);
}

const SIGNATURE_NAMES: Record<string, string> = {
  '1.2.840.10045.4.3.2': 'ecdsa-with-SHA256', '1.2.840.10045.4.3.3': 'ecdsa-with-SHA384', '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  '1.2.840.113549.1.1.11': 'sha256WithRSAEncryption', '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption', '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption', '1.2.840.113549.1.1.10': 'RSASSA-PSS', '1.3.101.112': 'Ed25519',
};

export function signatureAlgorithmName(oid: string): string {
  return SIGNATURE_NAMES[oid] ?? oid;
}
