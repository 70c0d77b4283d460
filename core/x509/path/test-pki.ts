/**
 * Test fixtures for the path validator: small PKIs built in-process with webcrypto keys and
 * @peculiar/x509's generators, on pinned UTC dates. Used by the *.test.ts files beside it only.
 */
import 'reflect-metadata';
import { webcrypto } from 'node:crypto';

type CryptoKeyPair = webcrypto.CryptoKeyPair;
type Algorithm = webcrypto.Algorithm;
type EcKeyGenParams = webcrypto.EcKeyGenParams;
type RsaHashedKeyGenParams = webcrypto.RsaHashedKeyGenParams;
type EcdsaParams = webcrypto.EcdsaParams;
type RsaPssParams = webcrypto.RsaPssParams;
import * as x509 from '@peculiar/x509';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import * as asn1 from '@peculiar/asn1-x509';

x509.cryptoProvider.set(webcrypto as unknown as Parameters<typeof x509.cryptoProvider.set>[0]);

/** The validation time of the tests; certificates default to 2025-01-01 … 2027-01-01. */
export const AT = new Date('2026-01-01T00:00:00Z');
export const NOT_BEFORE = new Date('2025-01-01T00:00:00Z');
export const NOT_AFTER = new Date('2027-01-01T00:00:00Z');

export type KeyKind = 'P-256' | 'P-384' | 'P-521' | 'RSA' | 'RSA-PSS' | 'Ed25519';

const KEYGEN: Record<KeyKind, RsaHashedKeyGenParams | EcKeyGenParams | Algorithm> = {
  'P-256': { name: 'ECDSA', namedCurve: 'P-256' } as EcKeyGenParams,
  'P-384': { name: 'ECDSA', namedCurve: 'P-384' } as EcKeyGenParams,
  'P-521': { name: 'ECDSA', namedCurve: 'P-521' } as EcKeyGenParams,
  RSA: { name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as RsaHashedKeyGenParams,
  'RSA-PSS': { name: 'RSA-PSS', modulusLength: 2048, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' } as RsaHashedKeyGenParams,
  Ed25519: { name: 'Ed25519' },
};

const SIGNING: Record<KeyKind, Algorithm> = {
  'P-256': { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams,
  'P-384': { name: 'ECDSA', hash: 'SHA-384' } as EcdsaParams,
  'P-521': { name: 'ECDSA', hash: 'SHA-512' } as EcdsaParams,
  RSA: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as Algorithm,
  'RSA-PSS': { name: 'RSA-PSS', hash: 'SHA-256', saltLength: 32 } as RsaPssParams,
  Ed25519: { name: 'Ed25519' },
};

export interface TestKeys {
  readonly kind: KeyKind;
  readonly pair: CryptoKeyPair;
}

export async function newKeys(kind: KeyKind = 'P-256'): Promise<TestKeys> {
  const pair = (await webcrypto.subtle.generateKey(KEYGEN[kind] as EcKeyGenParams, true, ['sign', 'verify'])) as CryptoKeyPair;
  return { kind, pair };
}

export interface TestCert {
  readonly der: Uint8Array;
  readonly cert: x509.X509Certificate;
  readonly keys: TestKeys;
  readonly name: string;
}

export interface NameConstraintsSpec {
  permitted?: asn1.GeneralName[];
  excluded?: asn1.GeneralName[];
}

export interface IssueOptions {
  /** Absent: self-signed. */
  issuer?: TestCert;
  keys?: TestKeys;
  keyKind?: KeyKind;
  /** Adds a critical basicConstraints cA (with pathLen) and keyUsage keyCertSign + cRLSign. */
  ca?: boolean | { pathLen: number };
  /** Overrides the default keyUsage; null omits the extension. */
  keyUsage?: x509.KeyUsageFlags | null;
  eku?: string[];
  san?: x509.JsonGeneralNames;
  nameConstraints?: NameConstraintsSpec;
  extensions?: x509.Extension[];
  omit?: ('ski' | 'aki' | 'bc')[];
  notBefore?: Date;
  notAfter?: Date;
  serial?: string;
}

let serialCounter = 0x1000;

export function nameConstraintsExtension(spec: NameConstraintsSpec, critical = true): x509.Extension {
  const subtrees = (names?: asn1.GeneralName[]) =>
    names ? new asn1.GeneralSubtrees(names.map((base) => new asn1.GeneralSubtree({ base }))) : undefined;
  const value = AsnSerializer.serialize(
    new asn1.NameConstraints({ permittedSubtrees: subtrees(spec.permitted), excludedSubtrees: subtrees(spec.excluded) }),
  );
  return new x509.Extension(asn1.id_ce_nameConstraints, critical, value);
}

export const dnsName = (dNSName: string) => new asn1.GeneralName({ dNSName });
export const ipName = (iPAddress: string) => new asn1.GeneralName({ iPAddress });
export const emailName = (rfc822Name: string) => new asn1.GeneralName({ rfc822Name });
export const dirName = (dn: string) =>
  new asn1.GeneralName({ directoryName: AsnParser.parse(new x509.Name(dn).toArrayBuffer(), asn1.Name) });

/** Issues a certificate (self-signed without `issuer`) with SKI/AKI and the requested extensions. */
export async function issue(subject: string, opts: IssueOptions = {}): Promise<TestCert> {
  const keys = opts.keys ?? (await newKeys(opts.keyKind ?? 'P-256'));
  const signer = opts.issuer?.keys ?? keys;
  const omit = new Set(opts.omit ?? []);
  const extensions: x509.Extension[] = [];
  if (opts.ca && !omit.has('bc')) {
    extensions.push(new x509.BasicConstraintsExtension(true, typeof opts.ca === 'object' ? opts.ca.pathLen : undefined, true));
  }
  const defaultUsage = opts.ca
    ? x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign
    : x509.KeyUsageFlags.digitalSignature;
  const usage = opts.keyUsage === undefined ? defaultUsage : opts.keyUsage;
  if (usage !== null) extensions.push(new x509.KeyUsagesExtension(usage, true));
  if (opts.eku) extensions.push(new x509.ExtendedKeyUsageExtension(opts.eku, false));
  if (opts.san) extensions.push(new x509.SubjectAlternativeNameExtension(opts.san, false));
  if (opts.nameConstraints) extensions.push(nameConstraintsExtension(opts.nameConstraints));
  if (!omit.has('ski')) extensions.push(await x509.SubjectKeyIdentifierExtension.create(keys.pair.publicKey));
  if (!omit.has('aki')) extensions.push(await x509.AuthorityKeyIdentifierExtension.create(signer.pair.publicKey));
  extensions.push(...(opts.extensions ?? []));
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: opts.serial ?? `01${(serialCounter++).toString(16).padStart(14, '0')}`,
    subject,
    issuer: opts.issuer?.name ?? subject,
    notBefore: opts.notBefore ?? NOT_BEFORE,
    notAfter: opts.notAfter ?? NOT_AFTER,
    publicKey: keys.pair.publicKey,
    signingKey: signer.pair.privateKey,
    signingAlgorithm: SIGNING[signer.kind],
    extensions,
  });
  return { der: new Uint8Array(cert.rawData), cert, keys, name: subject };
}

export interface CrlOptions {
  thisUpdate?: Date;
  nextUpdate?: Date | null;
  revoked?: { serial: string; date?: Date; reason?: x509.X509CrlReason }[];
  /** null omits the CRL number. */
  crlNumber?: number | null;
  crlNumberCritical?: boolean;
}

/** A CRL signed by `issuer`, with a CRL number (built by hand: @peculiar/x509 has no class for it). */
export async function makeCrl(issuer: TestCert, opts: CrlOptions = {}): Promise<Uint8Array> {
  const extensions: x509.Extension[] = [];
  if (opts.crlNumber !== null) {
    const n = opts.crlNumber ?? 1;
    extensions.push(new x509.Extension('2.5.29.20', opts.crlNumberCritical ?? false, new Uint8Array([0x02, 0x01, n])));
  }
  extensions.push(await x509.AuthorityKeyIdentifierExtension.create(issuer.keys.pair.publicKey));
  const crl = await x509.X509CrlGenerator.create({
    issuer: issuer.name,
    thisUpdate: opts.thisUpdate ?? new Date('2025-12-01T00:00:00Z'),
    nextUpdate: opts.nextUpdate === null ? undefined : (opts.nextUpdate ?? new Date('2026-02-01T00:00:00Z')),
    entries: (opts.revoked ?? []).map((r) => ({
      serialNumber: r.serial,
      revocationDate: r.date ?? new Date('2025-11-01T00:00:00Z'),
      reason: r.reason,
    })),
    signingAlgorithm: SIGNING[issuer.keys.kind],
    signingKey: issuer.keys.pair.privateKey,
    extensions,
  });
  return new Uint8Array(crl.rawData);
}

function ecdsaRawToDer(raw: Uint8Array): Uint8Array {
  const half = raw.length / 2;
  const int = (b: Uint8Array) => {
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    const v = b.subarray(i);
    return v[0] & 0x80 ? [0x02, v.length + 1, 0, ...v] : [0x02, v.length, ...v];
  };
  const body = [...int(raw.subarray(0, half)), ...int(raw.subarray(half))];
  return new Uint8Array([0x30, body.length, ...body]);
}

/**
 * Re-issues `der` after `mutate` edits its decoded form (for encodings the generator will not
 * produce, e.g. serial 0), signing the new tbsCertificate with `signer` (P-256 keys only).
 */
export async function resign(der: Uint8Array, signer: TestKeys, mutate: (tbs: asn1.TBSCertificate) => void): Promise<Uint8Array> {
  if (signer.kind !== 'P-256') throw new Error('resign supports P-256 signers only');
  const parsed = AsnParser.parse(der, asn1.Certificate);
  mutate(parsed.tbsCertificate);
  const tbs = AsnSerializer.serialize(parsed.tbsCertificate);
  const raw = new Uint8Array(await webcrypto.subtle.sign(SIGNING[signer.kind], signer.pair.privateKey, tbs));
  const cert = new asn1.Certificate({
    tbsCertificate: parsed.tbsCertificate,
    signatureAlgorithm: parsed.signatureAlgorithm,
    signatureValue: ecdsaRawToDer(raw).buffer as ArrayBuffer,
  });
  return new Uint8Array(AsnSerializer.serialize(cert));
}

/** PEM with OpenSSL's labels ('X509 CRL', not @peculiar/x509's 'CRL'). */
export function toPem(der: Uint8Array, label: 'CERTIFICATE' | 'X509 CRL'): string {
  const b64 = Buffer.from(der).toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${b64}${b64.endsWith('\n') ? '' : '\n'}-----END ${label}-----\n`;
}

/** root → intermediate → leaf for 'leaf.example.com', the usual starting point of a test. */
export async function simplePki(opts: { leaf?: IssueOptions; intermediate?: IssueOptions; root?: IssueOptions } = {}) {
  const root = await issue('CN=Test Root', { ca: true, ...opts.root });
  const intermediate = await issue('CN=Test Intermediate', { ca: true, issuer: root, ...opts.intermediate });
  const leaf = await issue('CN=leaf.example.com', {
    issuer: intermediate,
    san: [{ type: 'dns', value: 'leaf.example.com' }],
    eku: ['1.3.6.1.5.5.7.3.1'],
    ...opts.leaf,
  });
  return { root, intermediate, leaf };
}
