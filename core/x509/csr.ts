import { createRequire } from 'node:module';
import { ColdrootError } from '../errors.js';
import { decodeDer, fromPemOrDer } from './asn1.js';
import { readChildren, readTlv, splitSigned, tlvBytes, type Tlv } from './der-reader.js';
import type { SubjectAltNames } from './extensions.js';
import { nameToText, oidToText } from './name-text.js';
import { verifyWithPoint } from './ecdsa-point-verify.js';
import { describePublicKey, namedCurvePoint, type KeyType } from './public-key.js';
import { verifySignature } from './signature.js';

const OID_EXTENSION_REQUEST = '2a864886f70d01090e'; // 1.2.840.113549.1.9.14
const OID_SAN = '551d11'; // 2.5.29.17
const OID_BASIC_CONSTRAINTS = '551d13'; // 2.5.29.19

export interface VerifiedCsr {
  readonly der: Uint8Array;
  readonly subjectDer: Uint8Array;
  readonly subject: string;
  readonly spki: Uint8Array;
  readonly keyType: KeyType;
  readonly keyIdentifier: Uint8Array;
  readonly sans: SubjectAltNames;
  /** True when the CSR asks for basicConstraints cA=TRUE. */
  readonly requestsCa: boolean;
}

function bad(source: string, why: string): ColdrootError {
  return new ColdrootError('CSR_INVALID', `CSR ${source} is not a valid PKCS#10 request: ${why}`, 'Generate the request again, e.g. openssl req -new -key KEY -out req.csr');
}

const hex = (der: Uint8Array, t: Tlv) => Buffer.from(der.buffer, der.byteOffset + t.contentStart, t.end - t.contentStart).toString('hex');
const text = (der: Uint8Array, t: Tlv) => Buffer.from(der.buffer, der.byteOffset + t.contentStart, t.end - t.contentStart).toString('latin1');

// IP SANs are rare in fleet requests: the ASN.1 classes that format them load only when needed.
const requireCjs = createRequire(import.meta.url);
function ipText(generalName: Uint8Array): string {
  const { GeneralName } = requireCjs('@peculiar/asn1-x509') as typeof import('@peculiar/asn1-x509');
  return decodeDer(generalName, GeneralName).iPAddress!;
}

function readSans(der: Uint8Array, value: Tlv, source: string): SubjectAltNames {
  const sans: SubjectAltNames = {};
  for (const gn of readChildren(der, readTlv(der, value.contentStart))) {
    switch (der[gn.start]) {
      case 0x82: (sans.dns ??= []).push(text(der, gn)); break;
      case 0x81: (sans.email ??= []).push(text(der, gn)); break;
      case 0x86: (sans.uri ??= []).push(text(der, gn)); break;
      case 0x87: (sans.ip ??= []).push(ipText(tlvBytes(der, gn))); break;
      default: throw new ColdrootError('CSR_SAN_UNSUPPORTED', `CSR ${source} requests a subjectAltName type Coldroot does not issue`, 'Request only DNS, IP, email or URI names');
    }
  }
  return sans;
}

/** Parses a PEM or DER PKCS#10 request and verifies its self-signature with node:crypto. */
export function readCsr(data: Uint8Array | string, source = '(input)'): VerifiedCsr {
  const blocks = fromPemOrDer(data, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  if (blocks.length !== 1) throw bad(source, blocks.length ? 'it holds several requests' : 'no CERTIFICATE REQUEST block found');
  const der = blocks[0];
  let parts: ReturnType<typeof splitSigned>;
  let fields: Tlv[];
  let algorithmOid: string;
  const sans: SubjectAltNames = {};
  let requestsCa = false;
  let extensions: Array<{ oid: string; value: Tlv; buf: Uint8Array }> = [];
  try {
    parts = splitSigned(der);
    fields = readChildren(parts.tbs, readTlv(parts.tbs));
    if (fields.length < 3 || fields[0].tag !== 0x02 || fields[1].tag !== 0x30 || fields[2].tag !== 0x30) throw new Error('certificationRequestInfo fields are out of order');
    algorithmOid = oidText(parts.algorithm);
    const attrs = fields[3];
    if (attrs && attrs.tag === 0xa0) {
      for (const attr of readChildren(parts.tbs, attrs)) {
        const [type, values] = readChildren(parts.tbs, attr);
        if (hex(parts.tbs, type) !== OID_EXTENSION_REQUEST) continue;
        for (const exts of readChildren(parts.tbs, values)) {
          extensions = extensions.concat(readChildren(parts.tbs, exts).map((ext) => {
            const c = readChildren(parts.tbs, ext);
            return { oid: hex(parts.tbs, c[0]), value: c[c.length - 1], buf: parts.tbs };
          }));
        }
      }
    }
  } catch (e) {
    throw bad(source, `malformed DER (${(e as Error).message})`);
  }
  // Subject and key are taken byte-exact from the request, never re-encoded.
  const subjectDer = tlvBytes(parts.tbs, fields[1]);
  const spki = tlvBytes(parts.tbs, fields[2]);
  const { keyType, keyIdentifier } = verifyRequestSignature(source, algorithmOid, spki, parts.tbs, parts.signature);
  try {
    for (const ext of extensions) {
      if (ext.oid === OID_SAN) Object.assign(sans, readSans(ext.buf, ext.value, source));
      else if (ext.oid === OID_BASIC_CONSTRAINTS) {
        const bc = readChildren(ext.buf, readTlv(ext.buf, ext.value.contentStart));
        requestsCa = bc.length > 0 && bc[0].tag === 0x01 && ext.buf[bc[0].contentStart] !== 0;
      }
    }
  } catch (e) {
    if (e instanceof ColdrootError) throw e;
    throw bad(source, `bad extensionRequest (${(e as Error).message})`);
  }
  return { der, subjectDer, subject: nameToText(subjectDer), spki, keyType, keyIdentifier, sans, requestsCa };
}

function signatureInvalid(source: string): ColdrootError {
  return new ColdrootError('CSR_SIGNATURE_INVALID', `CSR ${source} has a signature that does not verify with its own public key`, 'The request was altered or signed with another key; generate it again from the subject key');
}

/** Proof of possession: P-256/P-384 points go to the native verifier (no per-key import), the rest to node:crypto. */
function verifyRequestSignature(source: string, algorithmOid: string, spki: Uint8Array, tbs: Uint8Array, signature: Uint8Array): { keyType: KeyType; keyIdentifier: Uint8Array } {
  const point = namedCurvePoint(spki);
  const fast = point && verifyWithPoint(algorithmOid, point, tbs, signature);
  if (fast === 'bad-point') throw bad(source, 'its public key is not a point on its curve');
  if (fast === 'invalid') throw signatureInvalid(source);
  if (fast === 'valid') return { keyType: point!.type, keyIdentifier: point!.keyIdentifier };
  let key: ReturnType<typeof describePublicKey>;
  try {
    key = describePublicKey(spki);
  } catch (e) {
    throw bad(source, (e as Error).message);
  }
  if (!verifySignature(algorithmOid, key.key, tbs, signature)) throw signatureInvalid(source);
  return { keyType: key.type, keyIdentifier: key.keyIdentifier };
}

/** Dotted text of the OID inside an AlgorithmIdentifier. */
function oidText(algorithm: Uint8Array): string {
  const oid = readChildren(algorithm, readTlv(algorithm))[0];
  if (!oid || oid.tag !== 0x06) throw new Error('signature algorithm is not an OID');
  return oidToText(algorithm.subarray(oid.contentStart, oid.end));
}
