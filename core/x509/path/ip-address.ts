import { isIPv4, isIPv6 } from 'node:net';

/** Parses an IPv4 (dotted decimal) or IPv6 literal into 4 or 16 octets; null if it is not one. */
export function parseIpAddress(text: string): Uint8Array | null {
  const s = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  if (isIPv4(s)) return new Uint8Array(s.split('.').map(Number));
  if (!isIPv6(s) || s.includes('%')) return null;
  let head = s;
  let v4: Uint8Array | null = null;
  const lastColon = s.lastIndexOf(':');
  if (s.slice(lastColon + 1).includes('.')) {
    v4 = parseIpAddress(s.slice(lastColon + 1));
    head = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const [left, right] = head.includes('::') ? head.split('::') : [head, undefined];
  const l = left ? left.split(':') : [];
  const r = right ? right.split(':') : [];
  const groups = right === undefined ? l : [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  if (v4) out.set(v4, 12);
  return out;
}

/** A name-constraint iPAddress (address then mask, 8 or 32 octets) with a contiguous mask. */
export function isValidIpConstraint(bytes: Uint8Array): boolean {
  if (bytes.length !== 8 && bytes.length !== 32) return false;
  const mask = bytes.subarray(bytes.length / 2);
  let seenZero = false;
  for (const byte of mask) {
    for (let bit = 7; bit >= 0; bit--) {
      const one = (byte >> bit) & 1;
      if (one && seenZero) return false;
      if (!one) seenZero = true;
    }
  }
  return true;
}

/** `address` (4 or 16 octets) lies within the constraint's network; families never mix. */
export function ipWithinConstraint(address: Uint8Array, constraint: Uint8Array): boolean {
  if (constraint.length !== address.length * 2) return false;
  const n = address.length;
  for (let i = 0; i < n; i++) {
    const mask = constraint[n + i];
    if ((address[i] & mask) !== (constraint[i] & mask)) return false;
  }
  return true;
}
