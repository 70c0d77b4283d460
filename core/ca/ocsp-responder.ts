import { ColdrootError } from '../errors.js';
import type { KeyAlgorithm } from '../keys/key-algorithm.js';
import { generateKey, openKey, type KeySecret, type NewKeySpec } from '../keys/key-spec.js';
import type { Signer } from '../keys/signer.js';
import { insertCertificate } from '../store/certificate-repository.js';
import { getOcspResponder, insertActiveOcspResponder, listOcspResponders } from '../store/ocsp-responder-repository.js';
import { toPem } from '../x509/asn1.js';
import { buildCertificate } from '../x509/certificate-builder.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { commonNamesOf } from '../x509/name-text.js';
import { describePublicKey, sameBytes } from '../x509/public-key.js';
import { assertCaUsable, openIssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { applyProfile } from './profiles/apply-profile.js';
import { builtinProfile } from './profiles/builtin-profiles.js';
import { randomSerial } from './serial-number.js';
import { getCa } from '../store/ca-repository.js';

export interface OcspResponderSummary {
  id: string;
  caId: string;
  status: 'active' | 'retired';
  keyUri: string;
  serial: string;
  notAfter: string;
  certificatePem: string;
}

/**
 * A delegated OCSP responder (RFC 6960 §4.2.2.2): a new key with an ocsp-signing certificate
 * (id-kp-OCSPSigning, id-pkix-ocsp-nocheck) issued by the CA, so responses can be pre-signed
 * without bringing the CA key out. It becomes the CA's active responder.
 */
export async function createOcspResponder(ctx: OperationContext, input: { caId: string; caSecret: KeySecret; key: NewKeySpec; algorithm: KeyAlgorithm; validity?: string }): Promise<OcspResponderSummary> {
  const ca = await openIssuingCa(ctx, input.caId, input.caSecret);
  try {
    const id = `${ca.ca.id}-ocsp-${listOcspResponders(ctx.store.db, ca.ca.id).length + 1}`;
    const signer = await generateKey(input.key, ctx.store.keysDir, id, input.algorithm);
    try {
      const spki = await signer.publicKey();
      const key = describePublicKey(spki);
      const subject = parseDistinguishedName(`CN=${commonNamesOf(ca.ca.subject)[0] ?? ca.ca.id} OCSP Responder`, 'responder name');
      const plan = applyProfile(builtinProfile('ocsp-signing'), { subject: subject.text, commonNames: [], keyType: key.type, keyIdentifier: key.keyIdentifier, sans: {}, requestsCa: false },
        { keyIdentifier: ca.keyIdentifier, notAfter: ca.notAfter, pathLen: ca.ca.pathLen }, ctx.now(), { validity: input.validity });
      const serial = randomSerial();
      const der = await buildCertificate({ serial: serial.bytes, issuer: ca.subjectDer, subject: subject.der, notBefore: plan.notBefore, notAfter: plan.notAfter, spki, extensions: plan.extensions }, ca.signer, ca.ca.publicKeySpki);
      const info = describeCertificate(der);
      const record = { id, caId: ca.ca.id, status: 'active' as const, keyUri: signer.keyUri, keyAlgorithm: input.algorithm, certificateDer: der, serial: serial.hex, notAfter: info.notAfter, createdAt: ctx.now().toISOString() };
      ctx.store.transaction(() => {
        insertCertificate(ctx.store.db, { caId: ca.ca.id, serial: serial.hex, profile: 'ocsp-signing', subject: info.subject, sans: [], notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: ctx.now().toISOString() });
        insertActiveOcspResponder(ctx.store.db, record);
        ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ocsp.create-responder', inputs: { algorithm: input.algorithm }, outcome: 'ok', details: { caId: ca.ca.id, responderId: id, serial: serial.hex, keyUri: signer.keyUri } }, ctx.now());
      });
      return { id, caId: ca.ca.id, status: 'active', keyUri: signer.keyUri, serial: serial.hex, notAfter: info.notAfter, certificatePem: toPem(der, 'CERTIFICATE') };
    } finally {
      await signer.close();
    }
  } finally {
    await ca.signer.close();
  }
}

export interface OcspSigningKey {
  signer: Signer;
  /** Certificates to include in each response (the responder's own, when delegated). */
  certificates: Uint8Array[];
  spki: Uint8Array;
}

/** Opens a CA's responder key and checks it: active, not expired, not revoked, key matches its certificate. */
export async function openOcspResponder(ctx: OperationContext, caId: string, responderId: string, secret: KeySecret): Promise<OcspSigningKey> {
  const r = getOcspResponder(ctx.store.db, responderId);
  if (r.caId !== caId) throw new ColdrootError('OCSP_RESPONDER_MISMATCH', `Responder '${responderId}' belongs to CA '${r.caId}', not '${caId}'`, 'Name a responder of this CA');
  assertCaUsable(ctx, getCa(ctx.store.db, caId));
  const row = ctx.store.db.prepare('SELECT status FROM certificates WHERE ca_id = ? AND serial = ?').get(caId, r.serial) as { status: string };
  if (r.status !== 'active' || row.status !== 'good' || new Date(r.notAfter) <= ctx.now()) {
    throw new ColdrootError('OCSP_RESPONDER_UNUSABLE', `Responder '${responderId}' is ${r.status !== 'active' ? 'retired' : row.status !== 'good' ? 'revoked' : `expired (${r.notAfter})`}`, `Create a new one with: coldroot ocsp create-responder --ca ${caId}`);
  }
  const signer = await openKey(r.keyUri, r.keyAlgorithm, secret, ctx.store.keysDir);
  const spki = describeCertificate(r.certificateDer).spki;
  if (!sameBytes(await signer.publicKey(), spki)) {
    await signer.close();
    throw new ColdrootError('KEY_MISMATCH', `The key ${r.keyUri} does not match the certificate of responder '${responderId}'`, 'Check the key reference');
  }
  return { signer, certificates: [r.certificateDer], spki };
}
