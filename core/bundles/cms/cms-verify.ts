import 'reflect-metadata';
import { createHash, createPublicKey, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { SignedData } from '@peculiar/asn1-cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name, Time } from '@peculiar/asn1-x509';
import { readChildren, readTlv, tlvBytes, type Tlv } from '../../x509/der-reader.js';
import { certificateFields } from '../../x509/certificate-fields.js';
import { sameBytes } from '../../x509/public-key.js';
import { CMS_OID, DIGEST_BY_OID, SIGNATURE_HASH, type DigestName } from './cms-oids.js';

export type CmsVerification =
  | {
      ok: true;
      /** DER of the certificate whose key made the signature. */
      signerCertificate: Uint8Array;
      /** Every certificate the SignedData carries (signer included), DER, as sent. */
      certificates: Uint8Array[];
      digest: DigestName;
      signingTime: Date | null;
    }
  | { ok: false; message: string };

const fail = (message: string): CmsVerification => ({ ok: false, message });
const ID_SIGNED_DATA = Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x02]);

/** The exact DER pieces of ContentInfo → SignedData that the signature covers or names. */
interface RawSignedData {
  certificates: Uint8Array[];
  signedAttrs: Uint8Array | null;
  signedData: Uint8Array;
}

function rawParts(der: Uint8Array): RawSignedData {
  const top = readTlv(der);
  if (top.tag !== 0x30 || top.end !== der.length) throw new Error('not a single DER SEQUENCE');
  const [oid, explicit, ...rest] = readChildren(der, top);
  if (!oid || oid.tag !== 0x06 || !explicit || explicit.tag !== 0xa0 || rest.length) throw new Error('not a ContentInfo');
  if (!sameBytes(tlvBytes(der, oid), ID_SIGNED_DATA)) throw new Error('the ContentInfo is not id-signedData');
  const inner = readChildren(der, explicit);
  if (inner.length !== 1 || inner[0].tag !== 0x30) throw new Error('ContentInfo content is not one SEQUENCE');
  const sd = readChildren(der, inner[0]);
  const certSet = sd.find((t) => t.tag === 0xa0);
  const certificates = certSet ? readChildren(der, certSet).map((c: Tlv) => {
    if (c.tag !== 0x30) throw new Error('only X.509 certificates may be carried');
    return tlvBytes(der, c);
  }) : [];
  const signerInfos = sd[sd.length - 1];
  if (!signerInfos || signerInfos.tag !== 0x31) throw new Error('SignerInfos missing');
  const infos = readChildren(der, signerInfos);
  if (infos.length !== 1) throw new Error(`${infos.length} SignerInfos; exactly one is expected`);
  const attrs = readChildren(der, infos[0]).find((t) => t.tag === 0xa0);
  let signedAttrs: Uint8Array | null = null;
  if (attrs) {
    // The signature covers the attributes with their universal SET tag, not the [0] IMPLICIT one.
    signedAttrs = new Uint8Array(tlvBytes(der, attrs));
    signedAttrs[0] = 0x31;
  }
  return { certificates, signedAttrs, signedData: tlvBytes(der, inner[0]) };
}

function findSigner(sd: SignedData, certificates: Uint8Array[]): Uint8Array | null {
  const sid = sd.signerInfos[0].sid;
  if (sid.issuerAndSerialNumber) {
    const issuer = new Uint8Array(AsnConvert.serialize(sid.issuerAndSerialNumber.issuer));
    const serial = new Uint8Array(sid.issuerAndSerialNumber.serialNumber);
    return certificates.find((c) => {
      const f = certificateFields(c);
      return sameBytes(f.serial, serial) && sameBytes(new Uint8Array(AsnConvert.serialize(AsnConvert.parse(f.issuer, Name))), issuer);
    }) ?? null;
  }
  if (sid.subjectKeyIdentifier) {
    const want = Buffer.from(sid.subjectKeyIdentifier.buffer).toString('hex');
    return certificates.find((c) => {
      const spki = certificateFields(c).spki;
      // Subject key identifiers are compared as the producer wrote them: method 1 of RFC 5280.
      return skiOf(spki) === want;
    }) ?? null;
  }
  return null;
}

function skiOf(spki: Uint8Array): string {
  const bits = readChildren(spki, readTlv(spki))[1];
  return createHash('sha1').update(spki.subarray(bits.contentStart + 1, bits.end)).digest('hex');
}

function singleValue(sd: SignedData, oid: string): ArrayBuffer | null | 'duplicate' {
  const found = (sd.signerInfos[0].signedAttrs ?? []).filter((a) => a.attrType === oid);
  if (found.length === 0) return null;
  if (found.length > 1 || found[0].attrValues.length !== 1) return 'duplicate';
  return found[0].attrValues[0];
}

/**
 * Verifies a detached CMS SignedData over `content` with node:crypto: one signer, signed
 * attributes present (contentType id-data, messageDigest matching `content`), the signature over
 * those attributes made by the public key of the certificate the signer identifier names. Trust in
 * that certificate is the caller's next step (path validation). Never throws.
 */
export function verifyDetached(p7s: Uint8Array, content: Uint8Array): CmsVerification {
  try {
    return verify(p7s, content);
  } catch (e) {
    // Any malformed piece the checks below did not anticipate is still a bad signature, never a crash.
    return fail(`manifest.p7s cannot be checked: ${(e as Error).message}`);
  }
}

function verify(p7s: Uint8Array, content: Uint8Array): CmsVerification {
  let raw: RawSignedData;
  let sd: SignedData;
  try {
    raw = rawParts(p7s);
    sd = AsnConvert.parse(raw.signedData, SignedData);
  } catch (e) {
    return fail(`manifest.p7s is not a DER CMS SignedData: ${(e as Error).message}`);
  }
  // The decoder forgives wrong tags and lengths; re-encoding must give back every byte, so nothing in manifest.p7s escapes the checks.
  if (!sameBytes(new Uint8Array(AsnConvert.serialize(sd)), raw.signedData)) return fail('manifest.p7s is not in canonical DER');
  // Parts outside the signed attributes are held to exactly what a bundle signature holds, so no byte of manifest.p7s goes unchecked.
  const si0 = sd.signerInfos[0];
  if (sd.version !== 1) return fail(`SignedData version ${sd.version}; bundle signatures are version 1`);
  if (si0.version !== (si0.sid.subjectKeyIdentifier ? 3 : 1)) return fail(`SignerInfo version ${si0.version} does not match its signer identifier`);
  if (sd.digestAlgorithms.length !== 1 || sd.digestAlgorithms[0].algorithm !== si0.digestAlgorithm.algorithm || sd.digestAlgorithms[0].parameters !== undefined) {
    return fail('SignedData.digestAlgorithms must name exactly the signer\'s digest algorithm');
  }
  if (si0.digestAlgorithm.parameters !== undefined) return fail('the digest AlgorithmIdentifier carries parameters');
  if (sd.crls || si0.unsignedAttrs) return fail('the SignedData carries CRLs or unsigned attributes, which bundle signatures never have');
  if (sd.encapContentInfo.eContentType !== CMS_OID.data) return fail(`the signed content type is ${sd.encapContentInfo.eContentType}, not id-data`);
  if (sd.encapContentInfo.eContent) return fail('the signature embeds its content; a bundle signature is detached');
  const si = sd.signerInfos[0];
  const digest = DIGEST_BY_OID[si.digestAlgorithm.algorithm];
  if (!digest) return fail(`digest algorithm ${si.digestAlgorithm.algorithm} is not accepted (SHA-256, SHA-384 or SHA-512)`);
  if (!raw.signedAttrs) return fail('the SignerInfo has no signed attributes');

  const contentType = singleValue(sd, CMS_OID.contentType);
  const messageDigest = singleValue(sd, CMS_OID.messageDigest);
  const signingTime = singleValue(sd, CMS_OID.signingTime);
  if (contentType === 'duplicate' || messageDigest === 'duplicate' || signingTime === 'duplicate') return fail('a signed attribute appears twice');
  const oidDer = contentType && new Uint8Array(contentType);
  if (!oidDer || !sameBytes(oidDer, Uint8Array.from([0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01]))) return fail('the contentType attribute is missing or not id-data');
  if (!messageDigest) return fail('the messageDigest attribute is missing');
  const md = new Uint8Array(messageDigest);
  let mdValue: Uint8Array;
  try {
    const t = readTlv(md);
    if (t.tag !== 0x04 || t.end !== md.length) throw new Error('not an OCTET STRING');
    mdValue = md.subarray(t.contentStart, t.end);
  } catch (e) {
    return fail(`the messageDigest attribute is malformed: ${(e as Error).message}`);
  }
  if (!sameBytes(mdValue, createHash(digest).update(content).digest())) return fail('the messageDigest does not match manifest.json: the manifest was altered after signing');
  let time: Date | null = null;
  if (signingTime) {
    try {
      time = AsnConvert.parse(signingTime, Time).getTime();
    } catch {
      return fail('the signingTime attribute is malformed');
    }
  }

  const signer = findSigner(sd, raw.certificates);
  if (!signer) return fail('the certificate named by the SignerInfo is not in the SignedData');
  const sigAlg = si.signatureAlgorithm.algorithm;
  if (!(sigAlg in SIGNATURE_HASH)) return fail(`signature algorithm ${sigAlg} is not accepted`);
  const params = si.signatureAlgorithm.parameters;
  if (params !== undefined && !(params === null && sigAlg.startsWith('1.2.840.113549.1.1.'))) return fail(`signature algorithm ${sigAlg} carries parameters it does not take`);
  const fixed = SIGNATURE_HASH[sigAlg];
  if (fixed === null && digest !== 'sha512') return fail('Ed25519 signatures in CMS use SHA-512 as the digest algorithm (RFC 8419)');
  if (fixed !== null && fixed !== 'digest' && fixed !== digest) return fail(`signature algorithm ${sigAlg} hashes with ${fixed} but the digest algorithm is ${digest}`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: Buffer.from(certificateFields(signer).spki), format: 'der', type: 'spki' });
  } catch (e) {
    return fail(`the signer certificate's public key cannot be read: ${(e as Error).message}`);
  }
  let good = false;
  try {
    good = nodeVerify(fixed === null ? null : digest, raw.signedAttrs, { key, dsaEncoding: 'der' }, new Uint8Array(si.signature.buffer));
  } catch {
    good = false;
  }
  if (!good) return fail('the signature does not verify with the signer certificate\'s public key');
  return { ok: true, signerCertificate: signer, certificates: raw.certificates, digest, signingTime: time };
}
