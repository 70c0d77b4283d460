import 'reflect-metadata';
import { createHash } from 'node:crypto';
import {
  Attribute, CertificateChoices, CertificateSet, CMSVersion, ContentInfo, DigestAlgorithmIdentifier, DigestAlgorithmIdentifiers,
  EncapsulatedContentInfo, IssuerAndSerialNumber, SignatureAlgorithmIdentifier, SignedData, SignerIdentifier, SignerInfo, SignerInfos,
} from '@peculiar/asn1-cms';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { Certificate, Time } from '@peculiar/asn1-x509';
import { ColdrootError } from '../../errors.js';
import { keyAlgorithmInfo } from '../../keys/key-algorithm.js';
import type { Signer } from '../../keys/signer.js';
import { encodeDer } from '../../x509/asn1.js';
import { derOid, derSequence, derTlv } from '../../x509/der-writer.js';
import { sameBytes } from '../../x509/public-key.js';
import { CMS_OID, OID_BY_DIGEST, type DigestName } from './cms-oids.js';
import { verifyDetached } from './cms-verify.js';

/** Who signs a bundle: a key (software or on a token) with its certificate and the intermediates up to a root. */
export interface SigningIdentity {
  readonly signer: Signer;
  /** The signer's certificate, DER. */
  readonly certificate: Uint8Array;
  /** Intermediate CA certificates, DER, issuer of `certificate` first; the root may be left out. */
  readonly chain: readonly Uint8Array[];
}

/** The digest a signer's algorithm implies; Ed25519 pairs with SHA-512 in CMS (RFC 8419 §3.1). */
export function digestFor(identity: Pick<SigningIdentity, 'signer'>): DigestName {
  return keyAlgorithmInfo(identity.signer.algorithm).hash ?? 'sha512';
}

function attribute(type: string, valueDer: Uint8Array): { der: Uint8Array; asn: Attribute } {
  const der = derSequence([derOid(type), derTlv(0x31, valueDer)]);
  return { der, asn: AsnConvert.parse(der, Attribute) };
}

/**
 * A detached CMS SignedData (RFC 5652) over `content`: signed attributes contentType, signingTime
 * and messageDigest, signed through the Signer interface (so the key may sit in an HSM), carrying
 * the signer's certificate and chain. The result is checked with our own verifier before it is
 * returned, so a faulty token never yields a bundle that fails later.
 */
export async function signDetached(content: Uint8Array, identity: SigningIdentity, signingTime: Date): Promise<Uint8Array> {
  const digest = digestFor(identity);
  const info = keyAlgorithmInfo(identity.signer.algorithm);
  const cert = AsnConvert.parse(identity.certificate, Certificate);

  const attrs = [
    attribute(CMS_OID.contentType, derOid(CMS_OID.data)),
    attribute(CMS_OID.signingTime, encodeDer(new Time(new Date(Math.floor(signingTime.getTime() / 1000) * 1000)))),
    attribute(CMS_OID.messageDigest, derTlv(0x04, createHash(digest).update(content).digest())),
  ];
  // DER orders the members of a SET OF by their encodings.
  attrs.sort((a, b) => Buffer.compare(Buffer.from(a.der), Buffer.from(b.der)));
  const signedAttrs = derTlv(0x31, Buffer.concat(attrs.map((a) => a.der)));
  const signature = await identity.signer.sign(signedAttrs);

  const signerInfo = new SignerInfo({
    version: CMSVersion.v1,
    sid: new SignerIdentifier({ issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber }) }),
    digestAlgorithm: new DigestAlgorithmIdentifier({ algorithm: OID_BY_DIGEST[digest] }),
    signedAttrs: attrs.map((a) => a.asn),
    signatureAlgorithm: new SignatureAlgorithmIdentifier(info.signatureParamsNull ? { algorithm: info.signatureOid, parameters: null } : { algorithm: info.signatureOid }),
    signature: new OctetString(signature),
  });
  const signedData = new SignedData({
    version: CMSVersion.v1,
    digestAlgorithms: new DigestAlgorithmIdentifiers([new DigestAlgorithmIdentifier({ algorithm: OID_BY_DIGEST[digest] })]),
    encapContentInfo: new EncapsulatedContentInfo({ eContentType: CMS_OID.data }),
    certificates: new CertificateSet([identity.certificate, ...identity.chain].map((der) => new CertificateChoices({ certificate: AsnConvert.parse(der, Certificate) }))),
    signerInfos: new SignerInfos([signerInfo]),
  });
  const der = encodeDer(new ContentInfo({ contentType: CMS_OID.signedData, content: AsnConvert.serialize(signedData) }));

  const check = verifyDetached(der, content);
  if (!check.ok || !sameBytes(check.signerCertificate, identity.certificate)) {
    throw new ColdrootError(
      'BUNDLE_SIGNING_FAILED',
      `The bundle signature made by ${identity.signer.keyUri} does not verify${check.ok ? ' (the signer certificate was re-encoded)' : `: ${check.message}`}`,
      'The key does not match the bundle-signing certificate, or the token malfunctioned; nothing was written',
      'failure',
    );
  }
  return der;
}
