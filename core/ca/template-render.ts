import { isIPv4 } from 'node:net';
import { concatBytes, derLength, derOid, derSequence, derTlv, derUnsignedInteger } from '../x509/der-writer.js';
import type { SubjectAltNames } from '../x509/extensions.js';
import { sanCritical, type SubjectRequest } from './profiles/request-rules.js';

/**
 * A batch's TBSCertificate as pre-encoded DER (built by certificate-template.ts): everything but
 * serial, subject, key, SKI and SAN. Plain data, so it crosses to worker threads; rendering needs
 * no ASN.1 library.
 */
export interface TemplatePieces {
  /** signature AlgorithmIdentifier + issuer Name + Validity, between serial and subject. */
  head: Uint8Array;
  /** Encoded extensions per variant `${rsa}|${hasSans}`, with markers where the SKI and SAN go. */
  variants: Record<string, Array<Uint8Array | 'ski' | 'san'>>;
}

const SKI_HEAD = derOid('2.5.29.14');
const SAN_HEAD = derOid('2.5.29.17');
const CRITICAL = Uint8Array.of(0x01, 0x01, 0xff);
const VERSION_3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);

export function variantKey(keyType: string, sans: SubjectAltNames): string {
  return `${keyType.startsWith('rsa-')}|${Object.values(sans).some((v) => v && v.length)}`;
}

/** TBSCertificate DER for one already-checked request. */
export function renderTbs(t: TemplatePieces, serial: Uint8Array, subjectDer: Uint8Array, spki: Uint8Array, req: SubjectRequest): Uint8Array {
  const pieces = t.variants[variantKey(req.keyType, req.sans)];
  const exts = pieces.map((p) => (p === 'ski' ? skiExtension(req.keyIdentifier) : p === 'san' ? sanExtension(req.sans, sanCritical(req)) : p));
  const list = derTlv(0x30, concatBytes(exts));
  return derTlv(0x30, concatBytes([VERSION_3, derUnsignedInteger(serial), t.head, subjectDer, spki, Uint8Array.of(0xa3), derLength(list.length), list]));
}

function skiExtension(keyId: Uint8Array): Uint8Array {
  return derSequence([SKI_HEAD, derTlv(0x04, derTlv(0x04, keyId))]);
}

function ipBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const n = parseInt(g, 16);
    out[2 * i] = n >> 8;
    out[2 * i + 1] = n & 0xff;
  });
  return out;
}

/** GeneralNames in the order extensions.ts writes them: DNS, IP, email, URI. */
function sanExtension(sans: SubjectAltNames, critical: boolean): Uint8Array {
  const names: Uint8Array[] = [];
  for (const d of sans.dns ?? []) names.push(derTlv(0x82, Buffer.from(d, 'latin1')));
  for (const ip of sans.ip ?? []) names.push(derTlv(0x87, ipBytes(ip)));
  for (const e of sans.email ?? []) names.push(derTlv(0x81, Buffer.from(e, 'latin1')));
  for (const u of sans.uri ?? []) names.push(derTlv(0x86, Buffer.from(u, 'latin1')));
  const value = derTlv(0x04, derSequence(names));
  return derSequence(critical ? [SAN_HEAD, CRITICAL, value] : [SAN_HEAD, value]);
}
