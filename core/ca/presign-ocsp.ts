import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { statusPage, type CertificateStatusRow } from '../store/certificate-repository.js';
import type { Store } from '../store/database.js';
import { keyAlgorithmInfo } from '../keys/key-algorithm.js';
import { signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { runTask } from './batch/batch-pool.js';
import { encodeOcspResponse, ResponseDataTemplate, type OcspStatus } from '../x509/ocsp-response.js';
import { describePublicKey } from '../x509/public-key.js';
import { openIssuingCa } from './issuing-ca.js';
import { openOcspResponder, type OcspSigningKey } from './ocsp-responder.js';
import { getCa } from '../store/ca-repository.js';
import { certificateFields } from '../x509/certificate-fields.js';
import type { Signer } from '../keys/signer.js';
import type { OperationContext } from './operation-context.js';
import { REVOCATION_REASONS } from './revoke-certificate.js';

export interface OcspPresignInput {
  caId: string;
  /** Unlocks the signing key: the CA's, or the delegated responder's when `responderId` is given. */
  secret: KeySecret;
  /** Sign with this delegated responder of the CA instead of the CA key. */
  responderId?: string;
  outDir: string;
  /** Hours until nextUpdate (default 7 days). */
  validityHours?: number;
}

export interface OcspPresignResult {
  caId: string;
  /** 'ca', or the delegated responder's id. */
  signedBy: string;
  outDir: string;
  responses: number;
  good: number;
  revoked: number;
  thisUpdate: string;
  nextUpdate: string;
}

function* allStatuses(db: Store['db'], caId: string): Generator<CertificateStatusRow> {
  for (let page = statusPage(db, caId, '', 1000); page.length; page = statusPage(db, caId, page[page.length - 1].serial, 1000)) yield* page;
}

/**
 * Signs one OCSP response per certificate the CA issued (good or revoked), by the CA itself or
 * by its delegated responder, into `<outDir>/<serial>.der` for offline publication (RFC 5019 style).
 */
export async function presignOcsp(ctx: OperationContext, input: OcspPresignInput): Promise<OcspPresignResult> {
  const hours = input.validityHours ?? 168;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31) {
    throw new ColdrootError('BAD_NEXT_UPDATE', `OCSP validity of ${hours} hours is out of range`, 'Give a whole number of hours between 1 and 744');
  }
  if (existsSync(input.outDir) && readdirSync(input.outDir).length > 0) {
    throw new ColdrootError('OUTPUT_EXISTS', `Output folder ${input.outDir} is not empty`, 'Give a new or empty folder; published responses are never overwritten');
  }
  const ca = getCa(ctx.store.db, input.caId);
  const signing: OcspSigningKey = input.responderId
    ? await openOcspResponder(ctx, input.caId, input.responderId, input.secret)
    : await openIssuingCa(ctx, input.caId, input.secret).then((i) => ({ signer: i.signer, certificates: [], spki: i.ca.publicKeySpki }));
  try {
    mkdirSync(input.outDir, { recursive: true });
    const keyHash = describePublicKey(ca.publicKeySpki).keyIdentifier;
    const alg = signatureAlgorithmDer(signing.signer);
    const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + hours * 3_600_000);
    let good = 0;
    let revoked = 0;
    const signer = signing.signer as Signer & { signMany?: (items: Uint8Array[]) => Promise<Uint8Array[]> };
    const key = signer instanceof SoftwareSigner ? signer.keyForWorkerThreads() : null;
    const info = keyAlgorithmInfo(signer.algorithm);
    const signingKey = describePublicKey(signing.spki);
    const template = new ResponseDataTemplate({ nameDer: certificateFields(ca.certificateDer!).subject, keyHash }, thisUpdate, nextUpdate, signingKey.keyIdentifier);
    const total = (ctx.store.db.prepare('SELECT count(*) AS n FROM certificates WHERE ca_id = ?').get(ca.id) as { n: number }).n;
    // A software key signs on the worker threads; a token signs on its session and every signature is checked.
    const signChunk = async (tbs: Uint8Array[]): Promise<Uint8Array[]> => {
      if (key) return runTask<Uint8Array[]>({ kind: 'sign', key, hash: info.hash, tbs }, total);
      const sigs = signer.signMany ? await signer.signMany(tbs) : await Promise.all(tbs.map((t) => signer.sign(t)));
      const bad = await runTask<number[]>({ kind: 'verify', signatureOid: info.signatureOid, issuerSpki: signing.spki, tbs, signatures: sigs }, total);
      if (bad.length) throw new ColdrootError('SIGNATURE_CHECK_FAILED', `${bad.length} OCSP signatures made by ${signer.keyUri} do not verify with the CA's public key`, 'The token malfunctioned or holds another key', 'failure');
      return sigs;
    };
    const inFlight: Array<Promise<void>> = [];
    const dispatch = (chunk: Array<{ serial: string; tbs: Uint8Array }>) => {
      const signed = signChunk(chunk.map((c) => c.tbs));
      const previous = inFlight[inFlight.length - 1] ?? Promise.resolve();
      // Files are written in order, each chunk once it and the chunks before it are signed.
      const written = Promise.all([signed, previous]).then(([sigs]) => {
        chunk.forEach((c, k) => writeFileSync(join(input.outDir, `${c.serial}.der`), encodeOcspResponse(c.tbs, alg, sigs[k], signing.certificates), { flag: 'wx' }));
      });
      written.catch(() => {}); // a failure surfaces where the chain is awaited, never as an unhandled rejection
      inFlight.push(written);
    };
    let chunk: Array<{ serial: string; tbs: Uint8Array }> = [];
    for (const c of allStatuses(ctx.store.db, ca.id)) {
      if (c.serial === ca.serial && ca.kind === 'root') continue; // the root's own self-signed certificate
      const status: OcspStatus = c.status === 'revoked' ? { status: 'revoked', revokedAt: new Date(c.revokedAt!), reasonCode: REVOCATION_REASONS[c.reason!] } : { status: 'good' };
      chunk.push({ serial: c.serial, tbs: template.render(c.serial, status) });
      if (c.status === 'revoked') revoked++;
      else good++;
      if (chunk.length === 1000) {
        dispatch(chunk);
        chunk = [];
        if (inFlight.length >= 4) await inFlight[inFlight.length - 4];
      }
    }
    if (chunk.length) dispatch(chunk);
    await Promise.all(inFlight);
    ctx.store.transaction(() => {
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ocsp.presign', inputs: {}, outcome: 'ok', details: { caId: ca.id, signedBy: input.responderId ?? 'ca', good, revoked, nextUpdate: nextUpdate.toISOString() } }, ctx.now());
    });
    return { caId: ca.id, signedBy: input.responderId ?? 'ca', outDir: input.outDir, responses: good + revoked, good, revoked, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString() };
  } finally {
    await signing.signer.close();
  }
}
