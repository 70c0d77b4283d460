import type { Signer } from '../keys/signer.js';
import { encodeDer } from './asn1.js';
import { assembleSigned, signAndVerify, signatureAlgorithmDer } from './certificate-builder.js';
import { derOid, derSequence, derTlv } from './der-writer.js';
import { parseDistinguishedName } from './distinguished-name.js';
import { subjectAltNameExtension, type SubjectAltNames } from './extensions.js';

const EXTENSION_REQUEST = derOid('1.2.840.113549.1.9.14');

/** A PKCS#10 request signed by `signer`, optionally asking for subjectAltNames. */
export async function buildCsr(signer: Signer, subject: string, sans: SubjectAltNames = {}): Promise<Uint8Array> {
  const dn = parseDistinguishedName(subject, 'subject');
  const spki = await signer.publicKey();
  const hasSans = Object.values(sans).some((v) => v && v.length);
  const attributes = hasSans
    ? derTlv(0xa0, derSequence([EXTENSION_REQUEST, derTlv(0x31, derSequence([encodeDer(subjectAltNameExtension(sans, false))]))]))
    : Uint8Array.of(0xa0, 0x00);
  const info = derSequence([Uint8Array.of(0x02, 0x01, 0x00), dn.der, spki, attributes]);
  const alg = signatureAlgorithmDer(signer);
  return assembleSigned(info, alg, await signAndVerify(info, signer, spki));
}
