import { createHash } from 'node:crypto';
import { concatBytes, derAlgorithmIdentifier, derBitString, derOid, derSequence, derTlv, derUnsignedInteger } from './der-writer.js';

const SHA1 = derAlgorithmIdentifier('1.3.14.3.2.26', true);
const ID_PKIX_OCSP_BASIC = derOid('1.3.6.1.5.5.7.48.1.1');

export interface OcspIssuer {
  nameDer: Uint8Array; // issuer subject Name
  keyHash: Uint8Array; // SHA-1 of the issuer's subjectPublicKey bits
}

export type OcspStatus = { status: 'good' } | { status: 'revoked'; revokedAt: Date; reasonCode: number };

export function generalizedTime(d: Date): Uint8Array {
  const s = d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return derTlv(0x18, new Uint8Array(Buffer.from(s, 'ascii')));
}

/** CertID hashed with SHA-1, the form OpenSSL and RFC 5019 clients send. */
export function certId(issuer: OcspIssuer, serialHex: string): Uint8Array {
  const nameHash = createHash('sha1').update(issuer.nameDer).digest();
  const hex = serialHex.length % 2 ? `0${serialHex}` : serialHex;
  return derSequence([SHA1, derTlv(0x04, nameHash), derTlv(0x04, issuer.keyHash), derUnsignedInteger(Buffer.from(hex, 'hex'))]);
}

function certStatus(s: OcspStatus): Uint8Array {
  if (s.status === 'good') return Uint8Array.of(0x80, 0x00);
  const parts = [generalizedTime(s.revokedAt)];
  if (s.reasonCode !== 0) parts.push(derTlv(0xa0, derTlv(0x0a, Uint8Array.of(s.reasonCode))));
  return derTlv(0xa1, concatBytes(parts));
}

/** ResponseData for one certificate: responder by key hash, one SingleResponse. */
export function encodeResponseData(responderKeyHash: Uint8Array, producedAt: Date, id: Uint8Array, status: OcspStatus, thisUpdate: Date, nextUpdate: Date): Uint8Array {
  const single = derSequence([id, certStatus(status), generalizedTime(thisUpdate), derTlv(0xa0, generalizedTime(nextUpdate))]);
  return derSequence([derTlv(0xa2, derTlv(0x04, responderKeyHash)), generalizedTime(producedAt), derSequence([single])]);
}

/** OCSPResponse { successful, BasicOCSPResponse { tbs, alg, sig, [0] certs } }. */
export function encodeOcspResponse(responseData: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array, responderCerts: Uint8Array[] = []): Uint8Array {
  const body = [responseData, signatureAlgorithm, derBitString(signature)];
  if (responderCerts.length) body.push(derTlv(0xa0, derSequence(responderCerts)));
  return derSequence([Uint8Array.of(0x0a, 0x01, 0x00), derTlv(0xa0, derSequence([ID_PKIX_OCSP_BASIC, derTlv(0x04, derSequence(body))]))]);
}
