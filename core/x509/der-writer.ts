/**
 * Minimal DER encoding for the structures we assemble around already-encoded parts
 * (signed envelopes, CRL entries, serials). Everything else is encoded by @peculiar/asn1-*.
 */
export function derLength(n: number): Uint8Array {
  if (n < 0x80) return Uint8Array.of(n);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

export function concatBytes(parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export function derTlv(tag: number, content: Uint8Array): Uint8Array {
  return concatBytes([Uint8Array.of(tag), derLength(content.length), content]);
}

export function derSequence(parts: Uint8Array[]): Uint8Array {
  return derTlv(0x30, concatBytes(parts));
}

export function derBitString(bytes: Uint8Array): Uint8Array {
  return derTlv(0x03, concatBytes([Uint8Array.of(0), bytes]));
}

/** A positive INTEGER from big-endian magnitude bytes (leading zeros stripped, 0x00 added when the top bit is set). */
export function derUnsignedInteger(magnitude: Uint8Array): Uint8Array {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const m = magnitude.subarray(i);
  return derTlv(0x02, m[0] & 0x80 ? concatBytes([Uint8Array.of(0), m]) : m);
}

export function derOid(oid: string): Uint8Array {
  const arcs = oid.split('.').map((a) => BigInt(a));
  const body: number[] = [];
  const push = (v: bigint) => {
    const chunk: number[] = [Number(v & 0x7fn)];
    for (v >>= 7n; v > 0n; v >>= 7n) chunk.unshift(Number(v & 0x7fn) | 0x80);
    body.push(...chunk);
  };
  push(arcs[0] * 40n + arcs[1]);
  for (const a of arcs.slice(2)) push(a);
  return derTlv(0x06, Uint8Array.from(body));
}

export const DER_NULL = Uint8Array.of(0x05, 0x00);

export function derAlgorithmIdentifier(oid: string, nullParams: boolean): Uint8Array {
  return derSequence(nullParams ? [derOid(oid), DER_NULL] : [derOid(oid)]);
}
