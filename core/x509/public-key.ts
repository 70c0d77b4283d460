import 'reflect-metadata';
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { ColdrootError } from '../errors.js';
import { decodeDer } from './asn1.js';

/** Key types as profiles name them: 'ecdsa-p256', 'rsa-2048', 'ed25519', … */
export type KeyType = string;

export interface PublicKeyDescription {
  readonly type: KeyType;
  readonly key: KeyObject;
  readonly spki: Uint8Array;
  /** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value. */
  readonly keyIdentifier: Uint8Array;
}

const CURVES: Record<string, string> = { prime256v1: 'ecdsa-p256', secp384r1: 'ecdsa-p384', secp521r1: 'ecdsa-p521' };

export function describePublicKey(spki: Uint8Array): PublicKeyDescription {
  let key: KeyObject;
  let info: SubjectPublicKeyInfo;
  try {
    key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    info = decodeDer(spki, SubjectPublicKeyInfo);
  } catch (e) {
    throw new ColdrootError('BAD_PUBLIC_KEY', `The public key cannot be parsed: ${(e as Error).message}`, 'Provide a standard SubjectPublicKeyInfo (EC P-256/P-384, RSA or Ed25519)');
  }
  const details = key.asymmetricKeyDetails ?? {};
  let type: string;
  switch (key.asymmetricKeyType) {
    case 'ec': type = CURVES[details.namedCurve ?? ''] ?? `ec-${details.namedCurve}`; break;
    case 'rsa': type = `rsa-${details.modulusLength}`; break;
    case 'ed25519': type = 'ed25519'; break;
    default: type = String(key.asymmetricKeyType);
  }
  const keyIdentifier = new Uint8Array(createHash('sha1').update(new Uint8Array(info.subjectPublicKey)).digest());
  return { type, key, spki, keyIdentifier };
}

export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(Buffer.from(a.buffer, a.byteOffset, a.length), Buffer.from(b.buffer, b.byteOffset, b.length)) === 0;
}
