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

const REASON_OID = derOid('2.5.29.21');
const CRL_NUMBER_OID = derOid('2.5.29.20');

const timeDer = derTime;

function integerFromNumber(n: number): Uint8Array {
  const hex = n.toString(16);
  return derUnsignedInteger(Buffer.from(hex.length % 2 ? `0${hex}` : hex, 'hex'));
}

export function encodeCrlEntry(e: CrlEntry): Uint8Array {
  const hex = e.serialHex.length % 2 ? `0${e.serialHex}` : e.serialHex;
  const parts = [derUnsignedInteger(Buffer.from(hex, 'hex')), timeDer(e.revokedAt)];
  if (e.reasonCode !== 0) {
    parts.push(derSequence([derSequence([REASON_OID, derTlv(0x04, derTlv(0x0a, Uint8Array.of(e.reasonCode)))])]));
  }
  return derSequence(parts);
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
