import type { Name, AttributeValue } from '@peculiar/asn1-x509';
import { toHex } from './der.js';

/** An attribute of a name with its value in display and comparison form. */
export interface NameAttribute {
  readonly type: string;
  readonly text: string;
  /** RFC 5280 §7.1 comparison form: case folded, whitespace collapsed (or '#hex' for non-strings). */
  readonly normalized: string;
}

/** A parsed, immutable view of an X.501 Name. */
export interface DistinguishedName {
  readonly rdns: readonly (readonly NameAttribute[])[];
  /** Equal for names that match under RFC 5280 §7.1; usable as a Map key. */
  readonly key: string;
  /** Display form, e.g. "CN=leaf, O=Acme" (in encoded order). */
  readonly text: string;
  readonly isEmpty: boolean;
}

export const ATTRIBUTE = {
  commonName: '2.5.4.3',
  emailAddress: '1.2.840.113549.1.9.1',
} as const;

const SHORT_NAMES: Record<string, string> = {
  '2.5.4.3': 'CN',
  '2.5.4.4': 'SN',
  '2.5.4.5': 'serialNumber',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'street',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.12': 'title',
  '2.5.4.42': 'GN',
  '2.5.4.46': 'dnQualifier',
  '2.5.4.97': 'organizationIdentifier',
  '0.9.2342.19200300.100.1.25': 'DC',
  '0.9.2342.19200300.100.1.1': 'UID',
  '1.2.840.113549.1.9.1': 'E',
};

function stringValue(v: AttributeValue): string | undefined {
  return v.utf8String ?? v.printableString ?? v.ia5String ?? v.teletexString ?? v.bmpString ?? v.universalString;
}

export function normalizeDirectoryString(s: string): string {
  return s.normalize('NFKC').trim().replace(/\s+/g, ' ').toLowerCase();
}

function escapeValue(s: string): string {
  return s.replace(/([,+"\\<>;=])/g, '\\$1');
}

export function distinguishedName(name: Name): DistinguishedName {
  const rdns: NameAttribute[][] = [];
  for (const rdn of name) {
    const attrs: NameAttribute[] = [];
    for (const atv of rdn) {
      const s = stringValue(atv.value);
      const hex = s === undefined ? toHex(new Uint8Array(atv.value.anyValue ?? new ArrayBuffer(0))) : '';
      attrs.push({
        type: atv.type,
        text: s ?? `#${hex}`,
        normalized: s === undefined ? `#${hex}` : normalizeDirectoryString(s),
      });
    }
    rdns.push(attrs);
  }
  const key = JSON.stringify(rdns.map(rdnKey));
  const text = rdns
    .map((rdn) => rdn.map((a) => `${SHORT_NAMES[a.type] ?? a.type}=${escapeValue(a.text)}`).join('+'))
    .join(', ');
  return { rdns, key, text, isEmpty: rdns.length === 0 };
}

function rdnKey(rdn: readonly NameAttribute[]): string {
  return rdn.map((a) => `${a.type}=${JSON.stringify(a.normalized)}`).sort().join('+');
}

/** RFC 5280 §4.2.1.10 directoryName subtree: `base` RDNs are a prefix of `name`. */
export function isWithinDirectorySubtree(name: DistinguishedName, base: DistinguishedName): boolean {
  if (base.rdns.length > name.rdns.length) return false;
  for (let i = 0; i < base.rdns.length; i++) {
    if (rdnKey(base.rdns[i]) !== rdnKey(name.rdns[i])) return false;
  }
  return true;
}

export function attributeValues(name: DistinguishedName, type: string): string[] {
  const out: string[] = [];
  for (const rdn of name.rdns) for (const a of rdn) if (a.type === type) out.push(a.text);
  return out;
}
