import { AsnParser } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { DerError, decodeOid, isUniversal, readChildren, readSingle, type DerElement } from './der.js';
import { distinguishedName, type DistinguishedName } from './distinguished-name.js';

/** One GeneralName (RFC 5280 §4.2.1.6) with the raw octets kept where matching needs them. */
export type GeneralNameValue =
  | { readonly kind: 'dns'; readonly value: string }
  | { readonly kind: 'email'; readonly value: string }
  | { readonly kind: 'uri'; readonly value: string }
  | { readonly kind: 'ip'; readonly bytes: Uint8Array }
  | { readonly kind: 'dn'; readonly name: DistinguishedName }
  | { readonly kind: 'other'; readonly typeId: string }
  | { readonly kind: 'x400' | 'edi' | 'rid'; readonly raw: Uint8Array };

export type GeneralNameKind = GeneralNameValue['kind'];

/** IA5String contents; bytes above 0x7f are kept (as latin1) so syntax checks can reject them. */
function ia5(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('latin1');
}

export function parseGeneralName(el: DerElement): GeneralNameValue {
  if (el.tagClass !== 2) throw new DerError('GeneralName is not context-tagged');
  switch (el.tagNumber) {
    case 0: {
      const [typeId, value] = readChildren(el);
      if (!typeId || !isUniversal(typeId, 6) || !value || value.tagClass !== 2 || value.tagNumber !== 0) {
        throw new DerError('bad otherName');
      }
      return { kind: 'other', typeId: decodeOid(typeId.value) };
    }
    case 1:
      return { kind: 'email', value: ia5(el.value) };
    case 2:
      return { kind: 'dns', value: ia5(el.value) };
    case 3:
      return { kind: 'x400', raw: el.raw };
    case 4: {
      if (!el.constructed) throw new DerError('directoryName must be constructed');
      const inner = readSingle(el.value);
      return { kind: 'dn', name: distinguishedName(AsnParser.parse(inner.raw, Name)) };
    }
    case 5:
      return { kind: 'edi', raw: el.raw };
    case 6:
      return { kind: 'uri', value: ia5(el.value) };
    case 7:
      if (el.constructed) throw new DerError('iPAddress must be primitive');
      return { kind: 'ip', bytes: el.value };
    case 8:
      return { kind: 'rid', raw: el.raw };
    default:
      throw new DerError(`unknown GeneralName tag [${el.tagNumber}]`);
  }
}

/** GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName */
export function parseGeneralNames(der: Uint8Array): GeneralNameValue[] {
  const seq = readSingle(der);
  if (!isUniversal(seq, 16) || !seq.constructed) throw new DerError('GeneralNames is not a SEQUENCE');
  const names = readChildren(seq).map(parseGeneralName);
  if (names.length === 0) throw new DerError('GeneralNames is empty');
  return names;
}

export function describeGeneralName(n: GeneralNameValue): string {
  switch (n.kind) {
    case 'dns':
      return `DNS:${n.value}`;
    case 'email':
      return `email:${n.value}`;
    case 'uri':
      return `URI:${n.value}`;
    case 'ip':
      return `IP:${formatIpBytes(n.bytes)}`;
    case 'dn':
      return `DirName:${n.name.text}`;
    case 'other':
      return `otherName:${n.typeId}`;
    default:
      return n.kind;
  }
}

/** Addresses in RFC 5952 / dotted form; constraint masks as a prefix length when contiguous. */
export function formatIpBytes(b: Uint8Array): string {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) {
    const groups: number[] = [];
    for (let i = 0; i < 16; i += 2) groups.push((b[i] << 8) | b[i + 1]);
    let best = { at: -1, len: 0 };
    for (let i = 0; i < 8; ) {
      let j = i;
      while (j < 8 && groups[j] === 0) j++;
      if (j - i > best.len) best = { at: i, len: j - i };
      i = j === i ? i + 1 : j;
    }
    const hex = groups.map((g) => g.toString(16));
    if (best.len < 2) return hex.join(':');
    return `${hex.slice(0, best.at).join(':')}::${hex.slice(best.at + best.len).join(':')}`;
  }
  if (b.length === 8 || b.length === 32) {
    const half = b.length / 2;
    const mask = b.subarray(half);
    const bits = Array.from(mask, (x) => x.toString(2).padStart(8, '0')).join('');
    const prefix = /^1*0*$/.test(bits) ? String(bits.indexOf('0') === -1 ? bits.length : bits.indexOf('0')) : formatIpBytes(mask);
    return `${formatIpBytes(b.subarray(0, half))}/${prefix}`;
  }
  return `<${b.length} octets>`;
}
