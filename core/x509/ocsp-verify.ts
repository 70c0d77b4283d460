import { createHash, type KeyObject } from 'node:crypto';
import { describeCertificate } from './certificate-info.js';
import { readChildren, readTlv, splitSigned, tlvBytes, type Tlv } from './der-reader.js';
import { describePublicKey } from './public-key.js';
import { oidToText } from './name-text.js';
import { verifySignature } from './signature.js';

export type OcspCheck =
  | { ok: true; serial: string; status: 'good' | 'revoked' | 'unknown'; thisUpdate: string; nextUpdate: string | null }
  | { ok: false; reason: string };

function generalizedTime(der: Uint8Array, t: Tlv): string {
  const s = Buffer.from(der.subarray(t.contentStart, t.end)).toString('latin1');
  return `${s.slice(0, 4)}-${s.slice(4, 6)}-${s.slice(6, 8)}T${s.slice(8, 10)}:${s.slice(10, 12)}:${s.slice(12, 14)}Z`;
}

/**
 * Checks a single-response OCSP response (as Coldroot pre-signs them) against the issuing CA:
 * successful status, basic response, signature by the CA key or by a delegated responder the CA
 * certified for OCSP signing, and a CertID naming that CA.
 */
export function checkOcspResponse(der: Uint8Array, issuer: { nameDer: Uint8Array; keyHash: Uint8Array; key: KeyObject }): OcspCheck {
  try {
    const [status, bytes] = readChildren(der, readTlv(der));
    if (der[status.contentStart] !== 0) return { ok: false, reason: `responseStatus ${der[status.contentStart]} is not successful` };
    const rb = readChildren(der, readTlv(der, bytes.contentStart));
    if (oidToText(der.subarray(rb[0].contentStart, rb[0].end)) !== '1.3.6.1.5.5.7.48.1.1') return { ok: false, reason: 'not a basic OCSP response' };
    const basic = der.subarray(rb[1].contentStart, rb[1].end);
    const [tbsT, algT, sigT, certsT] = readChildren(basic, readTlv(basic));
    const tbs = tlvBytes(basic, tbsT);
    const sigAlg = oidToText(basic.subarray(readChildren(basic, algT)[0].contentStart, readChildren(basic, algT)[0].end));
    let signingKey = issuer.key;
    if (certsT) {
      // A delegated responder: its certificate must be issued by the CA for OCSP signing.
      const responder = tlvBytes(basic, readChildren(basic, readTlv(basic, certsT.contentStart))[0]);
      const parts = splitSigned(responder);
      const certAlg = oidToText(parts.algorithm.subarray(readChildren(parts.algorithm, readTlv(parts.algorithm))[0].contentStart, readChildren(parts.algorithm, readTlv(parts.algorithm))[0].end));
      if (!verifySignature(certAlg, issuer.key, parts.tbs, parts.signature)) return { ok: false, reason: 'the responder certificate is not issued by the CA' };
      const info = describeCertificate(responder);
      if (!info.extendedKeyUsage.includes('1.3.6.1.5.5.7.3.9')) return { ok: false, reason: 'the responder certificate lacks id-kp-OCSPSigning' };
      signingKey = describePublicKey(info.spki).key;
    }
    if (!verifySignature(sigAlg, signingKey, tbs, basic.subarray(sigT.contentStart + 1, sigT.end))) return { ok: false, reason: certsT ? 'signature does not verify with the responder key' : 'signature does not verify with the CA key' };
    const fields = readChildren(tbs, readTlv(tbs));
    const responses = readChildren(tbs, fields[fields[0].tag === 0xa0 ? 3 : 2]);
    if (responses.length !== 1) return { ok: false, reason: `${responses.length} responses, expected one` };
    const [certId, certStatus, thisUpdate, next] = readChildren(tbs, responses[0]);
    const [, nameHash, keyHash, serial] = readChildren(tbs, certId);
    if (!Buffer.from(tbs.subarray(nameHash.contentStart, nameHash.end)).equals(createHash('sha1').update(issuer.nameDer).digest())) return { ok: false, reason: 'CertID names another issuer' };
    if (!Buffer.from(tbs.subarray(keyHash.contentStart, keyHash.end)).equals(Buffer.from(issuer.keyHash))) return { ok: false, reason: 'CertID names another issuer key' };
    const statusTag = tbs[certStatus.start];
    return {
      ok: true,
      serial: Buffer.from(tbs.subarray(serial.contentStart, serial.end)).toString('hex').replace(/^0+(?=.)/, ''),
      status: statusTag === 0x80 ? 'good' : statusTag === 0xa1 ? 'revoked' : 'unknown',
      thisUpdate: generalizedTime(tbs, thisUpdate),
      nextUpdate: next ? generalizedTime(tbs, readTlv(tbs, next.contentStart)) : null,
    };
  } catch (e) {
    return { ok: false, reason: `malformed response (${(e as Error).message})` };
  }
}
