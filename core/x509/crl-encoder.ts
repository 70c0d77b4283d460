import { encodeDer } from './asn1.js';
import { ByteSink } from './byte-sink.js';
import { concatBytes, derLength, derOid, derSequence, derTlv, derUnsignedInteger } from './der-writer.js';
import { derTime } from './der-time.js';
import { authorityKeyIdentifierExtension } from './extensions.js';

export interface CrlEntry {
  serialHex: string;
  revokedAt: Date;
  /** RFC 5280 reason code; 0 (unspecified) is omitted from the entry as §5.3.1 recommends. */
  reasonCode: number;
}

export interface CrlContent {
  issuer: Uint8Array; // Name DER, exactly as in the CA certificate's subject
  authorityKeyId: Uint8Array;
  crlNumber: number;
  thisUpdate: Date;
  nextUpdate: Date;
}

const CRL_NUMBER_OID = derOid('2.5.29.20');

const timeDer = derTime;

function integerFromNumber(n: number): Uint8Array {
  const hex = n.toString(16);
  return derUnsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

const REASON_PREFIX = Uint8Array.of(0x30, 0x0c, 0x30, 0x0a, 0x06, 0x03, 0x55, 0x1d, 0x15, 0x04, 0x03, 0x0a, 0x01);

/** One revokedCertificates entry, written straight into bytes (no intermediate objects). */
export function encodeCrlEntry(e: CrlEntry): Uint8Array {
  const hex = e.serialHex.length % 2 ? `0${e.serialHex}` : e.serialHex;
  const magnitude = Buffer.from(hex, 'hex');
  const pad = magnitude[0] & 0x80 ? 1 : 0;
  const time = timeDer(e.revokedAt);
  const serialLen = magnitude.length + pad;
  const bodyLen = 2 + serialLen + time.length + (e.reasonCode !== 0 ? REASON_PREFIX.length + 1 : 0);
  const out = new Uint8Array(2 + bodyLen);
  let p = 0;
  out[p++] = 0x30;
  out[p++] = bodyLen; // entries are always < 128 bytes (serial ≤ 21, time ≤ 17, reason 14)
  out[p++] = 0x02;
  out[p++] = serialLen;
  if (pad) out[p++] = 0;
  out.set(magnitude, p);
  p += magnitude.length;
  out.set(time, p);
  p += time.length;
  if (e.reasonCode !== 0) {
    out.set(REASON_PREFIX, p);
    out[p + REASON_PREFIX.length] = e.reasonCode;
  }
  return out;
}

/**
 * TBSCertList (v2) with CRL Number and AKI extensions. Entries stream from the iterable into
 * large chunks: a 1,000,000-entry CRL is about 50 MB of DER and no per-entry objects are kept.
 * Returns the TBS as the list of its pieces (hash or concatenate them).
 */
export function encodeTbsCertList(c: CrlContent, signatureAlgorithm: Uint8Array, entries: Iterable<CrlEntry>): Uint8Array[] {
  const sink = new ByteSink();
  for (const e of entries) sink.write(encodeCrlEntry(e));
  const extensions = derTlv(0xa0, derSequence([
    encodeDer(authorityKeyIdentifierExtension(c.authorityKeyId)),
    derSequence([CRL_NUMBER_OID, derTlv(0x04, integerFromNumber(c.crlNumber))]),
  ]));
  const head = concatBytes([Uint8Array.of(0x02, 0x01, 0x01), signatureAlgorithm, c.issuer, timeDer(c.thisUpdate), timeDer(c.nextUpdate)]);
  const revoked = sink.length ? [Uint8Array.of(0x30), derLength(sink.length), ...sink.parts()] : [];
  const bodyLength = head.length + revoked.reduce((n, p) => n + p.length, 0) + extensions.length;
  return [Uint8Array.of(0x30), derLength(bodyLength), head, ...revoked, extensions];
}
