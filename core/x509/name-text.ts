import 'reflect-metadata';
import { Name } from '@peculiar/x509';
import { readChildren, readTlv } from './der-reader.js';

// The attribute names @peculiar/x509's Name.toString() prints, so both paths give the same text.
const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'E', '2.5.4.42': 'G', '2.5.4.43': 'I', '2.5.4.4': 'SN', '2.5.4.12': 'T',
};
const OID_BYTES = new Map<string, string>(Object.entries(SHORT).map(([oid, name]) => [oidHex(oid), name]));

function oidHex(oid: string): string {
  const arcs = oid.split('.').map(Number);
  const out: number[] = [];
  const push = (v: number) => {
    const chunk = [v & 0x7f];
    for (v = Math.floor(v / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
    out.push(...chunk);
  };
  push(arcs[0] * 40 + arcs[1]);
  arcs.slice(2).forEach(push);
  return Buffer.from(out).toString('hex');
}

function escape(v: string): string {
  return v.replace(/([,+"\\<>;])/g, '\\$1').replace(/^([ #])/, '\\$1').replace(/([ ]$)/, '\\$1');
}

/**
 * RFC 4514-style text of a DER Name, identical to @peculiar/x509's Name.toString() (the slow
 * path it falls back to for anything but UTF8/Printable/IA5 strings of the common attributes).
 */
export function nameToText(der: Uint8Array): string {
  try {
    const rdns: string[] = [];
    for (const set of readChildren(der, readTlv(der))) {
      const parts: string[] = [];
      for (const atv of readChildren(der, set)) {
        const [oid, value] = readChildren(der, atv);
        const name = OID_BYTES.get(Buffer.from(der.subarray(oid.contentStart, oid.end)).toString('hex'));
        const tag = der[value.start];
        if (!name || (tag !== 0x0c && tag !== 0x13 && tag !== 0x16)) return new Name(der).toString();
        const text = Buffer.from(der.subarray(value.contentStart, value.end)).toString(tag === 0x0c ? 'utf8' : 'latin1');
        if (/[\r\n\t]/.test(text)) return new Name(der).toString();
        parts.push(`${name}=${escape(text)}`);
      }
      rdns.push(parts.join('+'));
    }
    return rdns.join(', ');
  } catch {
    return new Name(der).toString();
  }
}
