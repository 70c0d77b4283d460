import { readChildren, readTlv, splitSigned, tlvBytes } from './der-reader.js';

/** Exact DER of a certificate's TBS fields (serial, issuer, subject, SPKI), without re-encoding. */
export function certificateFields(certDer: Uint8Array): { serial: Uint8Array; issuer: Uint8Array; subject: Uint8Array; spki: Uint8Array } {
  const { tbs } = splitSigned(certDer);
  const f = readChildren(tbs, readTlv(tbs));
  const o = f[0].tag === 0xa0 ? 1 : 0; // explicit [0] version present
  const serialTlv = f[o];
  return {
    serial: tbs.subarray(serialTlv.contentStart, serialTlv.end),
    issuer: tlvBytes(tbs, f[o + 2]),
    subject: tlvBytes(tbs, f[o + 4]),
    spki: tlvBytes(tbs, f[o + 5]),
  };
}
