import type { KeyObject } from 'node:crypto';
import { AsnParser } from '@peculiar/asn1-schema';
import { Certificate, type AlgorithmIdentifier, type SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { bytesEqual, readChildren, readSingle, toHex } from './der.js';
import { distinguishedName, type DistinguishedName } from './distinguished-name.js';
import { decodeExtensions, type DecodedExtensions } from './certificate-extensions.js';
import { publicKeyFromSpki } from './signature.js';
import { publicKeyProblem } from './public-key-policy.js';

export type KeyResult = { key: KeyObject } | { code: 'MALFORMED' | 'UNSUPPORTED_ALGORITHM'; error: string };

function loadKey(spki: SubjectPublicKeyInfo, spkiDer: Uint8Array): KeyResult {
  let key: KeyObject;
  try {
    key = publicKeyFromSpki(spkiDer);
  } catch (e) {
    // A key node cannot load may still be a known-refused kind (e.g. explicit curve): name that.
    const problem = publicKeyProblem(spki, undefined);
    return problem
      ? { code: 'UNSUPPORTED_ALGORITHM', error: problem }
      : { code: 'MALFORMED', error: `public key cannot be decoded (${(e as Error).message})` };
  }
  const problem = publicKeyProblem(spki, key);
  return problem ? { code: 'UNSUPPORTED_ALGORITHM', error: problem } : { key };
}

export interface RawExtension {
  readonly critical: boolean;
}

/**
 * An immutable view of one certificate, decoded once per validation call. Structural problems
 * that do not stop decoding (an undecodable extension, a duplicate) are kept in `problems` and
 * reported only if the certificate is used in a path, so an unrelated broken certificate in the
 * pool cannot fail an otherwise valid chain.
 */
export class ParsedCertificate {
  readonly der: Uint8Array;
  readonly version: number;
  readonly serial: Uint8Array;
  readonly subject: DistinguishedName;
  readonly issuer: DistinguishedName;
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly spki: SubjectPublicKeyInfo;
  readonly spkiDer: Uint8Array;
  readonly tbs: Uint8Array;
  readonly signatureAlgorithm: AlgorithmIdentifier;
  readonly signature: Uint8Array;
  /** tbsCertificate.signature equals the outer signatureAlgorithm, byte for byte (RFC 5280 §4.1.1.2). */
  readonly signatureAlgorithmsMatch: boolean;
  readonly extensions: ReadonlyMap<string, RawExtension>;
  readonly ext: DecodedExtensions;
  readonly problems: readonly string[];
  /** Subject and issuer names match (RFC 5280 "self-issued"). */
  readonly selfIssued: boolean;
  /** Identity for loop detection: the same subject with the same key is the same CA. */
  readonly caIdentity: string;
  private keyCache?: KeyResult;

  private constructor(der: Uint8Array, cert: Certificate) {
    this.der = der;
    const tbs = cert.tbsCertificate;
    this.version = tbs.version + 1;
    this.serial = new Uint8Array(tbs.serialNumber);
    this.subject = distinguishedName(tbs.subject);
    this.issuer = distinguishedName(tbs.issuer);
    this.notBefore = tbs.validity.notBefore.getTime();
    this.notAfter = tbs.validity.notAfter.getTime();
    this.spki = tbs.subjectPublicKeyInfo;
    this.signatureAlgorithm = cert.signatureAlgorithm;
    this.signature = new Uint8Array(cert.signatureValue);

    // asn1-x509 re-encodes on demand; the signed bytes and the key must be the original octets.
    const outer = readChildren(readSingle(der));
    if (outer.length !== 3) throw new Error('Certificate must have 3 fields');
    this.tbs = outer[0].raw;
    const tbsFields = readChildren(outer[0]);
    const first = tbsFields[0]?.tagClass === 2 && tbsFields[0].tagNumber === 0 ? 1 : 0;
    if (tbsFields.length < first + 6) throw new Error('TBSCertificate is truncated');
    this.signatureAlgorithmsMatch = bytesEqual(tbsFields[first + 1].raw, outer[1].raw);
    this.spkiDer = tbsFields[first + 5].raw;

    const problems: string[] = [];
    const extensions = new Map<string, RawExtension>();
    for (const e of tbs.extensions ?? []) {
      if (extensions.has(e.extnID)) problems.push(`extension ${e.extnID} appears more than once`);
      extensions.set(e.extnID, { critical: e.critical });
    }
    if (tbs.extensions && tbs.extensions.length === 0) problems.push('extensions field is present but empty');
    if (tbs.extensions && this.version !== 3) problems.push(`version ${this.version} certificate carries extensions`);
    const { decoded, problems: extProblems } = decodeExtensions(tbs.extensions ?? []);
    this.extensions = extensions;
    this.ext = decoded;
    this.problems = [...problems, ...extProblems];
    this.selfIssued = this.subject.key === this.issuer.key;
    this.caIdentity = `${this.subject.key}|${toHex(this.spkiDer)}`;
  }

  /** Decodes a DER certificate; throws on anything that is not one. */
  static parse(der: Uint8Array): ParsedCertificate {
    return new ParsedCertificate(der, AsnParser.parse(der, Certificate));
  }

  /** Subject for messages; certificates with an empty subject are named by serial. */
  get label(): string {
    return this.subject.isEmpty ? `(empty subject, serial ${this.serialHex})` : this.subject.text;
  }

  get serialHex(): string {
    return toHex(this.serial).replace(/^(00)+(?=..)/, '').toUpperCase();
  }

  isCA(): boolean {
    return this.ext.basicConstraints?.cA === true;
  }

  /** The node:crypto key, or why the key is unusable (undecodable, weak or unsupported). */
  publicKey(): KeyResult {
    this.keyCache ??= loadKey(this.spki, this.spkiDer);
    return this.keyCache;
  }
}
