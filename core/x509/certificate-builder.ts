import 'reflect-metadata';
import { Extension } from '@peculiar/asn1-x509';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo } from '../keys/key-algorithm.js';
import type { Signer } from '../keys/signer.js';
import { encodeDer } from './asn1.js';
import { derAlgorithmIdentifier, derBitString, derSequence, derTlv, derUnsignedInteger } from './der-writer.js';
import { describePublicKey } from './public-key.js';
import { verifySignature } from './signature.js';
import { Time } from '@peculiar/asn1-x509';

export interface CertificateContent {
  /** Big-endian magnitude of the (positive) serial number. */
  serial: Uint8Array;
  issuer: Uint8Array; // Name, DER
  subject: Uint8Array; // Name, DER
  notBefore: Date;
  notAfter: Date;
  spki: Uint8Array;
  extensions: Extension[];
}

/** DER of the signature AlgorithmIdentifier the signer produces. */
export function signatureAlgorithmDer(signer: Pick<Signer, 'algorithm'>): Uint8Array {
  const info = keyAlgorithmInfo(signer.algorithm);
  return derAlgorithmIdentifier(info.signatureOid, info.signatureParamsNull);
}

function timeDer(d: Date): Uint8Array {
  return encodeDer(new Time(d));
}

export function encodeTbsCertificate(c: CertificateContent, signatureAlgorithm: Uint8Array): Uint8Array {
  const parts = [
    derTlv(0xa0, Uint8Array.of(0x02, 0x01, 0x02)), // [0] version v3
    derUnsignedInteger(c.serial),
    signatureAlgorithm,
    c.issuer,
    derSequence([timeDer(c.notBefore), timeDer(c.notAfter)]),
    c.subject,
    c.spki,
  ];
  if (c.extensions.length) parts.push(derTlv(0xa3, derSequence(c.extensions.map((e) => encodeDer(e)))));
  return derSequence(parts);
}

/** Wraps signed bytes (TBSCertificate, TBSCertList, ResponseData…) into SEQUENCE { tbs, alg, BIT STRING sig }. */
export function assembleSigned(tbs: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array): Uint8Array {
  return derSequence([tbs, signatureAlgorithm, derBitString(signature)]);
}

/**
 * Signs a TBS structure and checks the signature against the issuer's public key before
 * returning, so nothing a faulty token produced is ever stored.
 */
export async function signAndVerify(tbs: Uint8Array, signer: Signer, issuerSpki: Uint8Array): Promise<Uint8Array> {
  const signature = await signer.sign(tbs);
  const info = keyAlgorithmInfo(signer.algorithm);
  if (!verifySignature(info.signatureOid, describePublicKey(issuerSpki).key, tbs, signature)) {
    throw new ColdrootError(
      'SIGNATURE_CHECK_FAILED',
      `The signature made by ${signer.keyUri} does not verify with the issuer's public key`,
      'The key does not match the CA certificate, or the token malfunctioned; nothing was stored',
      'failure',
    );
  }
  return signature;
}

export async function buildCertificate(content: CertificateContent, signer: Signer, issuerSpki: Uint8Array): Promise<Uint8Array> {
  const alg = signatureAlgorithmDer(signer);
  const tbs = encodeTbsCertificate(content, alg);
  const sig = await signAndVerify(tbs, signer, issuerSpki);
  return assembleSigned(tbs, alg, sig);
}

