/** Locates the TLVs of DER so signed parts can be verified over their exact original bytes. */
export interface Tlv {
  tag: number;
  /** Offset of the tag byte. */
  start: number;
  /** Offset of the first content byte. */
  contentStart: number;
  /** Offset just past the content. */
  end: number;
}

export function readTlv(der: Uint8Array, offset = 0): Tlv {
  if (offset + 2 > der.length) throw new Error('DER truncated');
  const tag = der[offset];
  if ((tag & 0x1f) === 0x1f) throw new Error('DER high tag numbers are not supported');
  let len = der[offset + 1];
  let p = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new Error('DER length form not supported');
    if (p + n > der.length) throw new Error('DER truncated');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[p + i];
    if (len < 0x80 || der[p] === 0) throw new Error('DER length not minimal');
    p += n;
  }
  if (p + len > der.length) throw new Error('DER truncated');
  return { tag, start: offset, contentStart: p, end: p + len };
}

/** The immediate children of a constructed TLV. */
export function readChildren(der: Uint8Array, parent: Tlv = readTlv(der)): Tlv[] {
  const out: Tlv[] = [];
  for (let p = parent.contentStart; p < parent.end; ) {
    const t = readTlv(der, p);
    if (t.end > parent.end) throw new Error('DER child overruns its parent');
    out.push(t);
    p = t.end;
  }
  return out;
}

export function tlvBytes(der: Uint8Array, t: Tlv): Uint8Array {
  return der.subarray(t.start, t.end);
}

/** Splits SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING } into its exact parts. */
export function splitSigned(der: Uint8Array): { tbs: Uint8Array; algorithm: Uint8Array; signature: Uint8Array } {
  const top = readTlv(der);
  if (top.tag !== 0x30 || top.end !== der.length) throw new Error('not a single DER SEQUENCE');
  const [tbs, alg, sig, ...rest] = readChildren(der, top);
  if (!tbs || !alg || !sig || rest.length || sig.tag !== 0x03 || der[sig.contentStart] !== 0) throw new Error('not a signed structure');
  return { tbs: tlvBytes(der, tbs), algorithm: tlvBytes(der, alg), signature: der.subarray(sig.contentStart + 1, sig.end) };
}
