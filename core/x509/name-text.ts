import { readChildren, readTlv, type Tlv } from './der-reader.js';

// RFC 4514-style text of a DER Name, written to match @peculiar/x509's Name.toString() (tested),
// without loading it: batch worker threads pay for every import.

const SHORT: Record<string, string> = {
  '2.5.4.3': 'CN', '2.5.4.7': 'L', '2.5.4.8': 'ST', '2.5.4.10': 'O', '2.5.4.11': 'OU', '2.5.4.6': 'C',
  '0.9.2342.19200300.100.1.25': 'DC', '1.2.840.113549.1.9.1': 'E', '2.5.4.42': 'G', '2.5.4.43': 'I', '2.5.4.4': 'SN', '2.5.4.12': 'T',
};

/** Dotted text of an OBJECT IDENTIFIER's content bytes. */
export function oidToText(b: Uint8Array): string {
  const arcs: number[] = [];
  let v = 0;
  for (const byte of b) {
    v = v * 128 + (byte & 0x7f);
    if (!(byte & 0x80)) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}

function escape(v: string): string {
  return v
    .replace(/([,+"\\<>;])/g, '\\$1')
    .replace(/^([ #])/, '\\$1')
    .replace(/([ ]$)/, '\\$1')
    .replace(/([\r\n\t])/, (c) => `\\${Buffer.from(c, 'utf8').toString('hex').toUpperCase()}`);
}

function valueText(der: Uint8Array, t: Tlv): string {
  const content = Buffer.from(der.buffer, der.byteOffset + t.contentStart, t.end - t.contentStart);
  switch (der[t.start]) {
    case 0x0c: return escape(content.toString('utf8'));
    case 0x12: case 0x13: case 0x14: case 0x16: case 0x1a: return escape(content.toString('latin1'));
    case 0x1e: return escape(Buffer.from(content).swap16().toString('utf16le'));
    case 0x1c: return escape(String.fromCodePoint(...Array.from({ length: content.length / 4 }, (_, i) => content.readUInt32BE(4 * i))));
    default: return `#${Buffer.from(der.subarray(t.start, t.end)).toString('hex')}`;
  }
}

export function nameToText(der: Uint8Array): string {
  return readChildren(der, readTlv(der))
    .map((set) => readChildren(der, set).map((atv) => {
      const [oid, value] = readChildren(der, atv);
      const dotted = oidToText(der.subarray(oid.contentStart, oid.end));
      return `${SHORT[dotted] ?? dotted}=${valueText(der, value)}`;
    }).join('+'))
    .join(', ');
}

/** The CN values of an RFC 4514 string as nameToText / @peculiar/x509 print it ("CN=a, O=b"). */
export function commonNamesOf(text: string): string[] {
  return text.split(/,\s*(?=[A-Za-z][A-Za-z0-9.-]*=)/).map((p) => p.trim()).filter((p) => /^CN=/i.test(p)).map((p) => p.slice(3));
}
