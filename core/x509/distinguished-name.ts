import 'reflect-metadata';
import { Name as AsnName } from '@peculiar/asn1-x509';
import { Name } from '@peculiar/x509';
import { ColdrootError } from '../errors.js';
import { decodeDer } from './asn1.js';

export interface DistinguishedName {
  readonly text: string;
  readonly der: Uint8Array;
  readonly asn: AsnName;
}

/** Parses an RFC 4514 string such as "CN=Example Root CA,O=Example,C=US". */
export function parseDistinguishedName(text: string, inputName = '--name'): DistinguishedName {
  let name: Name;
  try {
    name = new Name(text.trim());
  } catch (e) {
    throw new ColdrootError('BAD_DISTINGUISHED_NAME', `Cannot parse ${inputName} '${text}': ${(e as Error).message}`, "Write the name as RFC 4514, e.g. 'CN=Example Root CA,O=Example,C=US'");
  }
  const der = new Uint8Array(name.toArrayBuffer());
  const asn = decodeDer(der, AsnName);
  if (asn.length === 0 || !name.getField('CN').length) {
    throw new ColdrootError('BAD_DISTINGUISHED_NAME', `${inputName} '${text}' has no CN (common name)`, "Give the CA a common name, e.g. 'CN=Example Root CA,O=Example'");
  }
  return { text: name.toString(), der, asn };
}

export function nameFromDer(der: Uint8Array): DistinguishedName {
  const name = new Name(der);
  return { text: name.toString(), der, asn: decodeDer(der, AsnName) };
}
