import 'reflect-metadata';
import { CertificationRequestInfo } from '@peculiar/asn1-csr';
import { AlgorithmIdentifier, BasicConstraints, Extensions, SubjectAlternativeName, id_ce_basicConstraints, id_ce_subjectAltName } from '@peculiar/asn1-x509';
import { ColdrootError } from '../errors.js';
import { decodeDer, fromPemOrDer } from './asn1.js';
import { readChildren, readTlv, splitSigned, tlvBytes } from './der-reader.js';
import { nameFromDer } from './distinguished-name.js';
import type { SubjectAltNames } from './extensions.js';
import { describePublicKey, type KeyType } from './public-key.js';
import { verifySignature } from './signature.js';

const EXTENSION_REQUEST = '1.2.840.113549.1.9.14';

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

/** Parses a PEM or DER PKCS#10 request and verifies its self-signature with node:crypto. */
export function readCsr(data: Uint8Array | string, source = '(input)'): VerifiedCsr {
  const blocks = fromPemOrDer(data, ['CERTIFICATE REQUEST', 'NEW CERTIFICATE REQUEST']);
  if (blocks.length !== 1) throw bad(source, blocks.length ? 'it holds several requests' : 'no CERTIFICATE REQUEST block found');
  const der = blocks[0];
  let info: CertificationRequestInfo;
  let parts: ReturnType<typeof splitSigned>;
  let algorithm: AlgorithmIdentifier;
  try {
    parts = splitSigned(der);
    info = decodeDer(parts.tbs, CertificationRequestInfo);
    algorithm = decodeDer(parts.algorithm, AlgorithmIdentifier);
  } catch (e) {
    throw bad(source, `malformed DER (${(e as Error).message})`);
  }
  // Subject and key are taken byte-exact from the request, not re-encoded.
  const fields = readChildren(parts.tbs, readTlv(parts.tbs));
  const subjectDer = tlvBytes(parts.tbs, fields[1]);
  const spki = tlvBytes(parts.tbs, fields[2]);
  const key = describePublicKey(spki);
  if (!verifySignature(algorithm.algorithm, key.key, parts.tbs, parts.signature)) {
    throw new ColdrootError('CSR_SIGNATURE_INVALID', `CSR ${source} has a signature that does not verify with its own public key`, 'The request was altered or signed with another key; generate it again from the subject key');
  }
  const sans: SubjectAltNames = {};
  let requestsCa = false;
  for (const attr of info.attributes ?? []) {
    if (attr.type !== EXTENSION_REQUEST) continue;
    for (const value of attr.values) {
      let exts: Extensions;
      try { exts = decodeDer(new Uint8Array(value), Extensions); } catch (e) { throw bad(source, `bad extensionRequest (${(e as Error).message})`); }
      for (const ext of exts) {
        const inner = new Uint8Array(ext.extnValue.buffer);
        if (ext.extnID === id_ce_subjectAltName) {
          for (const gn of decodeDer(inner, SubjectAlternativeName)) {
            if (gn.dNSName !== undefined) (sans.dns ??= []).push(gn.dNSName);
            else if (gn.iPAddress !== undefined) (sans.ip ??= []).push(gn.iPAddress);
            else if (gn.rfc822Name !== undefined) (sans.email ??= []).push(gn.rfc822Name);
            else if (gn.uniformResourceIdentifier !== undefined) (sans.uri ??= []).push(gn.uniformResourceIdentifier);
            else throw new ColdrootError('CSR_SAN_UNSUPPORTED', `CSR ${source} requests a subjectAltName type Coldroot does not issue`, 'Request only DNS, IP, email or URI names');
          }
        } else if (ext.extnID === id_ce_basicConstraints) {
          requestsCa = decodeDer(inner, BasicConstraints).cA;
        }
      }
    }
  }
  return { der, subjectDer, subject: nameFromDer(subjectDer).text, spki, keyType: key.type, keyIdentifier: key.keyIdentifier, sans, requestsCa };
}
