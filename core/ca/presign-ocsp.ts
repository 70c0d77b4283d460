import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { iterateStatuses } from '../store/certificate-repository.js';
import { signAndVerify, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { certId, encodeOcspResponse, encodeResponseData, type OcspStatus } from '../x509/ocsp-response.js';
import { describePublicKey } from '../x509/public-key.js';
import { openIssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { REVOCATION_REASONS } from './revoke-certificate.js';

export interface OcspPresignInput {
  caId: string;
  secret: KeySecret;
  outDir: string;
  /** Hours until nextUpdate (default 7 days). */
  validityHours?: number;
}

export interface OcspPresignResult {
  caId: string;
  outDir: string;
  responses: number;
  good: number;
  revoked: number;
  thisUpdate: string;
  nextUpdate: string;
}

/**
 * Signs one OCSP response per certificate the CA issued (good or revoked), signed by the CA
 * itself, into `<outDir>/<serial>.der` for offline publication (RFC 5019 style).
 */
export async function presignOcsp(ctx: OperationContext, input: OcspPresignInput): Promise<OcspPresignResult> {
  const hours = input.validityHours ?? 168;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31) {
    throw new ColdrootError('BAD_NEXT_UPDATE', `OCSP validity of ${hours} hours is out of range`, 'Give a whole number of hours between 1 and 744');
  }
  if (existsSync(input.outDir) && readdirSync(input.outDir).length > 0) {
    throw new ColdrootError('OUTPUT_EXISTS', `Output folder ${input.outDir} is not empty`, 'Give a new or empty folder; published responses are never overwritten');
  }
  const issuer = await openIssuingCa(ctx, input.caId, input.secret);
  try {
    mkdirSync(input.outDir, { recursive: true });
    const keyHash = describePublicKey(issuer.ca.publicKeySpki).keyIdentifier;
    const alg = signatureAlgorithmDer(issuer.signer);
    const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + hours * 3_600_000);
    let good = 0;
    let revoked = 0;
    for (const c of [...iterateStatuses(ctx.store.db, issuer.ca.id)]) {
      if (c.serial === issuer.ca.serial && issuer.ca.kind === 'root') continue; // the root's own self-signed certificate
      const status: OcspStatus = c.status === 'revoked' ? { status: 'revoked', revokedAt: new Date(c.revokedAt!), reasonCode: REVOCATION_REASONS[c.reason!] } : { status: 'good' };
      const tbs = encodeResponseData(keyHash, thisUpdate, certId({ nameDer: issuer.subjectDer, keyHash }, c.serial), status, thisUpdate, nextUpdate);
      const sig = await signAndVerify(tbs, issuer.signer, issuer.ca.publicKeySpki);
      writeFileSync(join(input.outDir, `${c.serial}.der`), encodeOcspResponse(tbs, alg, sig), { flag: 'wx' });
      if (c.status === 'revoked') revoked++;
      else good++;
    }
    ctx.store.transaction(() => {
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ocsp.presign', inputs: {}, outcome: 'ok', details: { caId: issuer.ca.id, good, revoked, nextUpdate: nextUpdate.toISOString() } }, ctx.now());
    });
    return { caId: issuer.ca.id, outDir: input.outDir, responses: good + revoked, good, revoked, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString() };
  } finally {
    await issuer.signer.close();
  }
}
