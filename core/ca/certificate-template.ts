import { isIPv4 } from 'node:net';
import { Time } from '@peculiar/asn1-x509';
import { encodeDer } from '../x509/asn1.js';
import { concatBytes, derLength, derOid, derSequence, derTlv, derUnsignedInteger } from '../x509/der-writer.js';
import type { SubjectAltNames } from '../x509/extensions.js';
import { hasAnySan, profileExtensions, sanCritical, type IssuerFacts, type ProfileOptions, type SubjectRequest } from './profiles/apply-profile.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';

const SKI_OID = '2.5.29.14';
const SAN_OID = '2.5.29.17';
const SKI_HEAD = derOid(SKI_OID);
const SAN_HEAD = derOid(SAN_OID);
const CRITICAL = Uint8Array.of(0x01, 0x01, 0xff);
const VERSION_3 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x02);

interface Variant {
  /** Encoded extensions, with null where the per-certificate SKI and SAN go. */
  pieces: Array<Uint8Array | 'ski' | 'san'>;
}

/**
 * The TBSCertificate of one batch (one issuer, profile and validity window) as pre-encoded DER:
 * everything but serial, subject, key, SKI and SAN is encoded once, so a certificate costs a few
 * buffer copies. Its output is byte-identical to encodeTbsCertificate(applyProfile(…)) (tested).
 */
export class CertificateTemplate {
  readonly #head: Uint8Array; // sigAlg + issuer + validity, between serial and subject
  readonly #variants = new Map<string, Variant>();

  constructor(
    private readonly profile: CertificateProfile,
    private readonly issuer: IssuerFacts,
    issuerName: Uint8Array,
    window: { notBefore: Date; notAfter: Date },
    signatureAlgorithm: Uint8Array,
    private readonly opts: ProfileOptions = {},
  ) {
    this.#head = concatBytes([signatureAlgorithm, issuerName, derSequence([encodeDer(new Time(window.notBefore)), encodeDer(new Time(window.notAfter))])]);
  }

  #variant(req: SubjectRequest): Variant {
    const rsa = req.keyType.startsWith('rsa-');
    const sans = hasAnySan(req.sans);
    const key = `${rsa}|${sans}`;
    let v = this.#variants.get(key);
    if (!v) {
      const probe: SubjectRequest = { ...req, keyIdentifier: new Uint8Array(20), sans: sans ? { dns: ['probe.invalid'] } : {} };
      const pieces = profileExtensions(this.profile, probe, this.issuer, this.opts).map((e) => (e.extnID === SKI_OID ? 'ski' as const : e.extnID === SAN_OID ? 'san' as const : encodeDer(e)));
      v = { pieces };
      this.#variants.set(key, v);
    }
    return v;
  }

  /** TBSCertificate DER for one already-checked request. */
  render(serial: Uint8Array, subjectDer: Uint8Array, spki: Uint8Array, req: SubjectRequest): Uint8Array {
    const exts = this.#variant(req).pieces.map((p) => (p === 'ski' ? skiExtension(req.keyIdentifier) : p === 'san' ? sanExtension(req.sans, sanCritical(req)) : p));
    const extBody = concatBytes(exts);
    const extensions = concatBytes([Uint8Array.of(0xa3), derLength(extBody.length + 1 + derLength(extBody.length).length), Uint8Array.of(0x30), derLength(extBody.length), extBody]);
    return derTlv(0x30, concatBytes([VERSION_3, derUnsignedInteger(serial), this.#head, subjectDer, spki, extensions]));
  }
}

function skiExtension(keyId: Uint8Array): Uint8Array {
  return derSequence([SKI_HEAD, derTlv(0x04, derTlv(0x04, keyId))]);
}

function ipBytes(ip: string): Uint8Array {
  if (isIPv4(ip)) return Uint8Array.from(ip.split('.').map(Number));
  const [head, tail] = ip.includes('::') ? ip.split('::') : [ip, undefined];
  const h = head ? head.split(':') : [];
  const t = tail !== undefined && tail !== '' ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const out = new Uint8Array(16);
  groups.forEach((g, i) => { const n = parseInt(g, 16); out[2 * i] = n >> 8; out[2 * i + 1] = n & 0xff; });
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
