import 'reflect-metadata';
import { createHash } from 'node:crypto';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import type { Database } from 'better-sqlite3';
import { getCa } from '../store/ca-repository.js';
import { getCertificate } from '../store/certificate-repository.js';
import { normalizeSerial } from '../ca/serial-number.js';
import { ColdrootError } from '../errors.js';
import { toPem } from '../x509/asn1.js';
import { signatureAlgorithmName } from '../x509/certificate-info.js';
import { nameToText } from '../x509/name-text.js';
import { colonHex, describeExtension, type ExtensionText } from './extension-text.js';

export interface CertificateDetail {
  caId: string;
  issuerCa: string;
  serial: string;
  profile: string;
  state: 'valid' | 'expired' | 'revoked';
  revokedAt: string | null;
  revocationReason: string | null;
  issuedAt: string;
  fields: {
    version: number;
    serialHex: string;
    serialDecimal: string;
    signatureAlgorithm: string;
    issuer: string;
    notBefore: string;
    notAfter: string;
    subject: string;
    publicKey: { algorithm: string; parameters: string; bits: number | null; hex: string };
    signatureValue: string;
  };
  extensions: ExtensionText[];
  fingerprints: { sha1: string; sha256: string };
  pem: string;
  mismatch: string | null;
}

const KEY_ALGORITHMS: Record<string, string> = { '1.2.840.10045.2.1': 'id-ecPublicKey', '1.2.840.113549.1.1.1': 'rsaEncryption', '1.3.101.112': 'Ed25519', '1.3.101.110': 'X25519' };
const CURVES: Record<string, { name: string; bits: number }> = { '1.2.840.10045.3.1.7': { name: 'P-256 (prime256v1)', bits: 256 }, '1.3.132.0.34': { name: 'P-384 (secp384r1)', bits: 384 }, '1.3.132.0.35': { name: 'P-521 (secp521r1)', bits: 521 } };

function publicKeyOf(cert: Certificate): CertificateDetail['fields']['publicKey'] {
  const spki = cert.tbsCertificate.subjectPublicKeyInfo;
  const oid = spki.algorithm.algorithm;
  const key = new Uint8Array(spki.subjectPublicKey);
  let parameters = '';
  let bits: number | null = null;
  if (oid === '1.2.840.10045.2.1' && spki.algorithm.parameters) {
    // ECParameters is a namedCurve OBJECT IDENTIFIER: decode its content octets.
    const p = new Uint8Array(spki.algorithm.parameters);
    const dotted = oidText(p.subarray(2));
    parameters = CURVES[dotted]?.name ?? dotted;
    bits = CURVES[dotted]?.bits ?? null;
  } else if (oid === '1.2.840.113549.1.1.1') {
    // RSAPublicKey ::= SEQUENCE { modulus INTEGER, ... }: bits of the modulus without its sign octet.
    const modulus = readRsaModulus(key);
    bits = (modulus.length - 1) * 8 + (32 - Math.clz32(modulus[0]));
    parameters = `modulus ${bits} bits`;
  } else if (oid === '1.3.101.112') {
    bits = 256;
  }
  return { algorithm: KEY_ALGORITHMS[oid] ?? oid, parameters, bits, hex: colonHex(key) };
}

function oidText(b: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (!arcs.length) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

function readLength(b: Uint8Array, at: number): { len: number; next: number } {
  const first = b[at];
  if (first < 0x80) return { len: first, next: at + 1 };
  let len = 0;
  for (let i = 1; i <= (first & 0x7f); i++) len = len * 256 + b[at + i];
  return { len, next: at + 1 + (first & 0x7f) };
}

function readRsaModulus(key: Uint8Array): Uint8Array {
  const seq = readLength(key, 1);
  const int = readLength(key, seq.next + 1);
  let m = key.subarray(int.next, int.next + int.len);
  while (m.length > 1 && m[0] === 0) m = m.subarray(1);
  return m;
}

/** Every field and extension of a stored certificate, decoded for the detail view. */
export function certificateDetail(db: Database, caId: string, serialInput: string, now: Date): CertificateDetail {
  const serial = normalizeSerial(serialInput);
  if (!serial) throw new ColdrootError('BAD_SERIAL', `'${serialInput}' is not a hexadecimal serial number`, 'Give the serial in hex, as openssl x509 -serial prints it');
  const ca = getCa(db, caId);
  const rec = getCertificate(db, caId, serial);
  const der = rec.der;
  const cert = AsnParser.parse(der, Certificate);
  const tbs = cert.tbsCertificate;
  // The INTEGER's content octets carry a leading 00 when the top bit is set; the number does not.
  let serialBytes = new Uint8Array(tbs.serialNumber);
  while (serialBytes.length > 1 && serialBytes[0] === 0) serialBytes = serialBytes.subarray(1);
  const serialHex = Buffer.from(serialBytes).toString('hex').replace(/^0+(?=.)/, '');
  const sha256 = createHash('sha256').update(der).digest('hex');
  const validity = (t: { utcTime?: Date; generalTime?: Date }) => (t.utcTime ?? t.generalTime)!.toISOString();
  return {
    caId,
    issuerCa: ca.name,
    serial: rec.serial,
    profile: rec.profile,
    state: rec.status === 'revoked' ? 'revoked' : rec.notAfter < now.toISOString() ? 'expired' : 'valid',
    revokedAt: rec.revokedAt,
    revocationReason: rec.revocationReason,
    issuedAt: rec.issuedAt,
    fields: {
      version: tbs.version + 1,
      serialHex: colonHex(serialBytes),
      serialDecimal: BigInt(`0x${Buffer.from(serialBytes).toString('hex')}`).toString(10),
      signatureAlgorithm: signatureAlgorithmName(cert.signatureAlgorithm.algorithm),
      issuer: nameToText(new Uint8Array(AsnSerializer.serialize(tbs.issuer))),
      notBefore: validity(tbs.validity.notBefore),
      notAfter: validity(tbs.validity.notAfter),
      subject: nameToText(new Uint8Array(AsnSerializer.serialize(tbs.subject))),
      publicKey: publicKeyOf(cert),
      signatureValue: colonHex(new Uint8Array(cert.signatureValue)),
    },
    extensions: (tbs.extensions ?? []).map(describeExtension),
    fingerprints: { sha1: colonHex(createHash('sha1').update(der).digest()), sha256: colonHex(Buffer.from(sha256, 'hex')) },
    pem: toPem(der, 'CERTIFICATE'),
    // Inventory rows written by the benchmark fill share one template certificate per profile.
    mismatch: sha256 !== rec.fingerprintSha256 || serialHex !== rec.serial
      ? `The stored certificate (serial ${serialHex}) is not this row's own (serial ${rec.serial}); the row was written without a certificate of its own, e.g. by scripts/fill-inventory.ts`
      : null,
  };
}
