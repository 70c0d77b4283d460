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
function* allStatuses(db: Store['db'], caId: string): Generator<CertificateStatusRow> {
  for (let page = statusPage(db, caId, '', 1000); page.length; page = statusPage(db, caId, page[page.length - 1].serial, 1000)) yield* page;
}

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
    const signer = issuer.signer as typeof issuer.signer & { signMany?: (items: Uint8Array[]) => Promise<Uint8Array[]> };
    const key = signer instanceof SoftwareSigner ? signer.keyForWorkerThreads() : null;
    const info = keyAlgorithmInfo(signer.algorithm);
    const issuerKey = describePublicKey(issuer.ca.publicKeySpki).key;
    const template = new ResponseDataTemplate({ nameDer: issuer.subjectDer, keyHash }, thisUpdate, nextUpdate);
    const total = (ctx.store.db.prepare('SELECT count(*) AS n FROM certificates WHERE ca_id = ?').get(issuer.ca.id) as { n: number }).n;
    // A software key signs on the worker threads; a token signs on its session and every signature is checked.
    const signChunk = async (tbs: Uint8Array[]): Promise<Uint8Array[]> => {
      if (key) return runTask<Uint8Array[]>({ kind: 'sign', key, hash: info.hash, tbs }, total);
      const sigs = signer.signMany ? await signer.signMany(tbs) : await Promise.all(tbs.map((t) => signer.sign(t)));
      const bad = await runTask<number[]>({ kind: 'verify', signatureOid: info.signatureOid, issuerKey, tbs, signatures: sigs }, total);
      if (bad.length) throw new ColdrootError('SIGNATURE_CHECK_FAILED', `${bad.length} OCSP signatures made by ${signer.keyUri} do not verify with the CA's public key`, 'The token malfunctioned or holds another key', 'failure');
      return sigs;
    };
    const inFlight: Array<Promise<void>> = [];
    const dispatch = (chunk: Array<{ serial: string; tbs: Uint8Array }>) => {
      const signed = signChunk(chunk.map((c) => c.tbs));
      const previous = inFlight[inFlight.length - 1] ?? Promise.resolve();
      // Files are written in order, each chunk once it and the chunks before it are signed.
      const written = Promise.all([signed, previous]).then(([sigs]) => {
        chunk.forEach((c, k) => writeFileSync(join(input.outDir, `${c.serial}.der`), encodeOcspResponse(c.tbs, alg, sigs[k]), { flag: 'wx' }));
      });
      written.catch(() => {}); // a failure surfaces where the chain is awaited, never as an unhandled rejection
      inFlight.push(written);
    };
    let chunk: Array<{ serial: string; tbs: Uint8Array }> = [];
    for (const c of allStatuses(ctx.store.db, issuer.ca.id)) {
      if (c.serial === issuer.ca.serial && issuer.ca.kind === 'root') continue; // the root's own self-signed certificate
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
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'ocsp.presign', inputs: {}, outcome: 'ok', details: { caId: issuer.ca.id, good, revoked, nextUpdate: nextUpdate.toISOString() } }, ctx.now());
    });
    return { caId: issuer.ca.id, outDir: input.outDir, responses: good + revoked, good, revoked, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString() };
  } finally {
    await issuer.signer.close();
  }
}
