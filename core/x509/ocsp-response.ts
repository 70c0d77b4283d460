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

function certStatus(s: OcspStatus): Uint8Array {
  if (s.status === 'good') return Uint8Array.of(0x80, 0x00);
  const parts = [generalizedTime(s.revokedAt)];
  if (s.reasonCode !== 0) parts.push(derTlv(0xa0, derTlv(0x0a, Uint8Array.of(s.reasonCode))));
  return derTlv(0xa1, concatBytes(parts));
}

/**
 * The ResponseData of every response one CA pre-signs in one run, with all but the serial and the
 * status encoded once: responder by key hash, producedAt = thisUpdate, one SingleResponse whose
 * CertID uses SHA-1 (the form OpenSSL and RFC 5019 clients send).
 */
export class ResponseDataTemplate {
  readonly #head: Uint8Array; // responderID + producedAt
  readonly #certIdPrefix: Uint8Array; // hashAlgorithm + issuerNameHash + issuerKeyHash
  readonly #tail: Uint8Array; // thisUpdate + [0] nextUpdate

  /** `responderKeyHash`: SHA-1 of the signing key: the CA's own (default) or a delegated responder's. */
  constructor(issuer: OcspIssuer, thisUpdate: Date, nextUpdate: Date, responderKeyHash: Uint8Array = issuer.keyHash) {
    const nameHash = createHash('sha1').update(issuer.nameDer).digest();
    this.#head = concatBytes([derTlv(0xa2, derTlv(0x04, responderKeyHash)), generalizedTime(thisUpdate)]);
    this.#certIdPrefix = concatBytes([SHA1, derTlv(0x04, nameHash), derTlv(0x04, issuer.keyHash)]);
    this.#tail = concatBytes([generalizedTime(thisUpdate), derTlv(0xa0, generalizedTime(nextUpdate))]);
  }

  render(serialHex: string, status: OcspStatus): Uint8Array {
    const hex = serialHex.length % 2 ? `0${serialHex}` : serialHex;
    const certId = derTlv(0x30, concatBytes([this.#certIdPrefix, derUnsignedInteger(Buffer.from(hex, 'hex'))]));
    const single = derTlv(0x30, concatBytes([certId, certStatus(status), this.#tail]));
    return derTlv(0x30, concatBytes([this.#head, derTlv(0x30, single)]));
  }
}

/** OCSPResponse { successful, BasicOCSPResponse { tbs, alg, sig, [0] certs } }. */
export function encodeOcspResponse(responseData: Uint8Array, signatureAlgorithm: Uint8Array, signature: Uint8Array, responderCerts: Uint8Array[] = []): Uint8Array {
  const body = [responseData, signatureAlgorithm, derBitString(signature)];
  if (responderCerts.length) body.push(derTlv(0xa0, derSequence(responderCerts)));
  return derSequence([Uint8Array.of(0x0a, 0x01, 0x00), derTlv(0xa0, derSequence([ID_PKIX_OCSP_BASIC, derTlv(0x04, derSequence(body))]))]);
}
