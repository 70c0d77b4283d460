/**
 * A minimal strict DER reader for the few places where @peculiar/asn1-x509's decoded objects
 * lose information we need: raw SubjectPublicKeyInfo bytes, iPAddress octets (asn1-x509 turns
 * them into strings, dropping masks and malformed lengths) and tagged GeneralName choices.
 */
export interface DerElement {
  /** Tag class: 0 universal, 1 application, 2 context-specific, 3 private. */
  readonly tagClass: number;
  readonly constructed: boolean;
  readonly tagNumber: number;
  /** The whole TLV. */
  readonly raw: Uint8Array;
  /** The contents octets. */
  readonly value: Uint8Array;
}

export class DerError extends Error {}

/** Reads one element at `offset`; returns it and the offset just past it. */
export function readElement(buf: Uint8Array, offset = 0): { element: DerElement; next: number } {
  let p = offset;
  if (p >= buf.length) throw new DerError('unexpected end of data');
  const first = buf[p++];
  const tagClass = first >> 6;
  const constructed = (first & 0x20) !== 0;
  let tagNumber = first & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    for (let i = 0; ; i++) {
      if (p >= buf.length || i > 3) throw new DerError('bad high tag number');
      const b = buf[p++];
      tagNumber = (tagNumber << 7) | (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (p >= buf.length) throw new DerError('missing length');
  let length = buf[p++];
  if (length & 0x80) {
    const n = length & 0x7f;
    if (n === 0 || n > 4) throw new DerError('indefinite or oversized length');
    length = 0;
    for (let i = 0; i < n; i++) {
      if (p >= buf.length) throw new DerError('truncated length');
      length = length * 256 + buf[p++];
    }
    if (length < 0x80 || (n > 1 && length < 1 << (8 * (n - 1)))) throw new DerError('non-minimal length');
  }
  const end = p + length;
  if (end > buf.length) throw new DerError('element longer than its container');
  return {
    element: { tagClass, constructed, tagNumber, raw: buf.subarray(offset, end), value: buf.subarray(p, end) },
    next: end,
  };
}

/** Parses exactly one element spanning all of `buf`. */
export function readSingle(buf: Uint8Array): DerElement {
  const { element, next } = readElement(buf, 0);
  if (next !== buf.length) throw new DerError('trailing data after element');
  return element;
}

/** The child elements of a constructed element. */
export function readChildren(el: DerElement): DerElement[] {
  if (!el.constructed) throw new DerError('expected a constructed element');
  const out: DerElement[] = [];
  let p = 0;
  while (p < el.value.length) {
    const { element, next } = readElement(el.value, p);
    out.push(element);
    p = next;
  }
  return out;
}

export function isUniversal(el: DerElement, tagNumber: number): boolean {
  return el.tagClass === 0 && el.tagNumber === tagNumber;
}

export function decodeOid(value: Uint8Array): string {
  if (value.length === 0 || (value[value.length - 1] & 0x80) !== 0) throw new DerError('bad OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let acc = 0;
  for (let i = 0; i < value.length; i++) {
    const b = value[i];
    if (acc === 0 && b === 0x80) throw new DerError('non-minimal OBJECT IDENTIFIER arc');
    acc = acc * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      if (arcs.length === 0) {
        const firstArc = acc < 40 ? 0 : acc < 80 ? 1 : 2;
        arcs.push(firstArc, acc - firstArc * 40);
      } else {
        arcs.push(acc);
      }
      acc = 0;
    }
  }
  return arcs.join('.');
}

export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
