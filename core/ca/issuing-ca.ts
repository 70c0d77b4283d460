import { X509Certificate } from 'node:crypto';
import { ColdrootError } from '../errors.js';
import { openKey, type KeySecret } from '../keys/key-spec.js';
import type { Signer } from '../keys/signer.js';
import { getCa, type CaRecord } from '../store/ca-repository.js';
import { certificateFields } from '../x509/certificate-fields.js';
import { sameBytes } from '../x509/public-key.js';
import type { OperationContext } from './operation-context.js';

export interface IssuingCa {
  readonly ca: CaRecord;
  readonly certificateDer: Uint8Array;
  /** Subject Name of the CA certificate, exact DER (the issuer field of what it signs). */
  readonly subjectDer: Uint8Array;
  readonly keyIdentifier: Uint8Array;
  readonly notAfter: Date;
  readonly signer: Signer;
}

/** Checks that a CA may sign now: active, inside its validity, and not revoked by its parent. */
export function assertCaUsable(ctx: OperationContext, ca: CaRecord): void {
  if (ca.status !== 'active' || !ca.certificateDer) {
    throw new ColdrootError('CA_NOT_ACTIVE', `CA '${ca.id}' has no certificate yet (status ${ca.status})`, `Import its signed certificate with: coldroot ca import-certificate ${ca.id} --cert FILE`);
  }
  const now = ctx.now();
  if (new Date(ca.notAfter!) <= now) {
    throw new ColdrootError('CA_EXPIRED', `CA '${ca.id}' expired at ${ca.notAfter}`, 'Create a new CA (or renew this one under its parent) and issue from it');
  }
  if (new Date(ca.notBefore!) > now) {
    throw new ColdrootError('CA_NOT_YET_VALID', `CA '${ca.id}' is not valid before ${ca.notBefore}`, "Check this machine's clock");
  }
  if (ca.parentId) {
    const row = ctx.store.db.prepare('SELECT status, revocation_reason AS reason FROM certificates WHERE ca_id = ? AND serial = ?').get(ca.parentId, ca.serial) as { status: string; reason: string } | undefined;
    if (row?.status === 'revoked') {
      throw new ColdrootError('CA_REVOKED', `CA '${ca.id}' was revoked by its parent '${ca.parentId}' (reason ${row.reason})`, 'Issue from another CA; a revoked CA cannot sign');
    }
    assertCaUsable(ctx, getCa(ctx.store.db, ca.parentId));
  }
}

/** Opens a CA's key and checks that its public key is the one in the CA certificate. */
export async function openIssuingCa(ctx: OperationContext, caId: string, secret: KeySecret): Promise<IssuingCa> {
  const ca = getCa(ctx.store.db, caId);
  assertCaUsable(ctx, ca);
  const cert = new X509Certificate(Buffer.from(ca.certificateDer!));
  const signer = await openKey(ca.keyUri, ca.keyAlgorithm, secret, ctx.store.keysDir);
  const spki = await signer.publicKey();
  if (!sameBytes(spki, ca.publicKeySpki)) {
    await signer.close();
    throw new ColdrootError('KEY_MISMATCH', `The key ${ca.keyUri} does not match the certificate of CA '${ca.id}'`, 'The token or key file holds a different key; check the PKCS#11 URI or restore the right key');
  }
  return { ca, certificateDer: ca.certificateDer!, subjectDer: certificateFields(ca.certificateDer!).subject, keyIdentifier: Buffer.from(ca.ski!, 'hex'), notAfter: new Date(cert.validTo), signer };
}
