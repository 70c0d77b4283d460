import { randomBytes } from 'node:crypto';

/**
 * A 128-bit random serial: 16 random octets whose first octet is non-zero, so the
 * certificate's INTEGER has exactly 16 value octets. `hex` is the integer in lowercase hex without
 * leading zeros (the form serials are stored and looked up in). Uniqueness per CA is enforced by
 * the inventory's primary key; serials are never deleted, so never reused.
 */
export function randomSerial(): { bytes: Uint8Array; hex: string } {
  for (;;) {
    const bytes = new Uint8Array(randomBytes(16));
    if (bytes[0] !== 0) return { bytes, hex: Buffer.from(bytes).toString('hex').replace(/^0/, '') };
  }
}

/** Normalizes operator input ("0A:1B…", "0x0a1b…") to lowercase hex without separators or leading zeros. */
export function normalizeSerial(input: string): string | null {
  const s = input.trim().toLowerCase().replace(/^0x/, '').replace(/[:\s]/g, '');
  if (!/^[0-9a-f]+$/.test(s)) return null;
  return s.replace(/^0+(?=.)/, '');
}
