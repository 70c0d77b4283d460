import { createHash } from 'node:crypto';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo } from '../keys/key-algorithm.js';
import type { KeySecret } from '../keys/key-spec.js';
import { Pkcs11Signer } from '../keys/pkcs11-signer.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { insertCertificate, serialExists } from '../store/certificate-repository.js';
import { toPem } from '../x509/asn1.js';
import { assembleSigned, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { startTask, type TaskTicket } from './batch/batch-pool.js';
import type { BatchSpec, ProcessedRequest, RequestItem } from './batch/request-processor.js';
import { certificateTemplate } from './certificate-template.js';
import { openIssuingCa, type IssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { validityWindow } from './profiles/apply-profile.js';
import { builtinProfile } from './profiles/builtin-profiles.js';
import type { CertificateProfile } from './profiles/certificate-profile.js';
import { randomSerial } from './serial-number.js';

export interface BatchIssueInput {
  caId: string;
  secret: KeySecret;
  profile: string | CertificateProfile;
  csrs: Array<{ csr: Uint8Array | string; source?: string }>;
  validity?: string;
  /** Called after each chunk is signed. */
  onProgress?: (done: number, total: number) => void;
}

export interface IssuedCertificate {
  caId: string;
  /** The request it answers, as named in the input (file name, or '#n'). */
  source: string;
  serial: string;
  subject: string;
  sans: string[];
  profile: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  certificatePem: string;
}

export interface BatchIssueResult {
  caId: string;
  profile: string;
  issued: IssuedCertificate[];
  /** Requests refused by the profile or unreadable, each with its reason; the rest are issued. */
  rejected: Array<{ source: string; code: string; message: string }>;
}

const CHUNK = 1000;

type Rejection = Extract<ProcessedRequest, { ok: false }>;
interface Stored { source: string; der: Uint8Array; fingerprintSha256: string; serial: string; subject: string; sans: string[] }

/**
 * Issues many certificates in one sitting. The CA key is opened once; requests are verified,
 * checked against the profile and rendered from a pre-encoded template (byte-identical to the
 * library-built TBSCertificate) on worker threads; a software key signs there too, a token signs
 * on its one session and each of its signatures is verified on the threads. All certificates are
 * stored with one audit entry in one transaction, which runs while the threads work: each chunk is
 * taken synchronously as it arrives and inserted (nothing else may run on the connection while a
 * transaction is open, so it never awaits). A failure anywhere rolls the whole batch back.
 */
export async function issueBatch(ctx: OperationContext, input: BatchIssueInput, audit: { action: string; single?: boolean } = { action: 'cert.issue-batch' }): Promise<BatchIssueResult> {
  const profile = typeof input.profile === 'string' ? builtinProfile(input.profile) : input.profile;
  if (profile.kind === 'ca') throw new ColdrootError('PROFILE_NOT_FOR_LEAF', `Profile '${profile.name}' is for CA certificates`, 'Create CAs with: coldroot ca create-intermediate');
  const issuer = await openIssuingCa(ctx, input.caId, input.secret);
  try {
    const facts = { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen, crlUrl: issuer.ca.crlUrl, ocspUrl: issuer.ca.ocspUrl, caIssuersUrl: issuer.ca.caIssuersUrl };
    const window = validityWindow(profile, facts, ctx.now(), input.validity);
    const notBefore = window.notBefore.toISOString();
    const notAfter = window.notAfter.toISOString();
    const spec: BatchSpec = { profile, template: certificateTemplate(profile, facts, issuer.subjectDer, window, signatureAlgorithmDer(issuer.signer)), hash: keyAlgorithmInfo(issuer.signer.algorithm).hash };
    const items = withSerials(ctx, issuer, input.csrs);
    const rejected: BatchIssueResult['rejected'] = [];
    const onRejected = (r: Rejection) => {
      if (r.kind === 'failure' || audit.single) throw new ColdrootError(r.code, r.message, hintFor(r.code), r.kind);
      rejected.push({ source: r.source, code: r.code, message: r.message });
    };
    const signer = issuer.signer;
    const key = signer instanceof SoftwareSigner ? signer.keyForWorkerThreads() : null;
    if (!key && !(signer instanceof Pkcs11Signer)) throw new ColdrootError('SIGNER_UNSUPPORTED', `Batch issuance cannot sign with key ${signer.keyUri}`, 'Use a software or PKCS#11 CA key', 'failure');
    // Every chunk goes to the threads now; the transaction below takes them as they finish.
    const chunks: Array<TaskTicket<ProcessedRequest[]>> = [];
    for (let i = 0; i < items.length; i += CHUNK) chunks.push(startTask({ kind: 'process', spec, key, items: items.slice(i, i + CHUNK) }, items.length));
    const at = ctx.now().toISOString();
    const storeAll = (signNow: TokenSign | null): Stored[] => ctx.store.transaction(() => {
      const stored = storeChunks({ ctx, issuer, profile: profile.name, notBefore, notAfter, at, items, chunks, signNow, onRejected, onProgress: input.onProgress });
      if (stored.length) {
        const serialsHash = createHash('sha256').update(stored.map((c) => c.serial).join('\n')).digest('hex');
        const details = audit.single ? { caId: issuer.ca.id, serial: stored[0].serial, profile: profile.name } : { caId: issuer.ca.id, profile: profile.name, issued: stored.length, rejected: rejected.length, serialsSha256: serialsHash };
        ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: audit.action, inputs: { serials: serialsHash, profile: profile.name }, outcome: 'ok', details }, ctx.now());
      }
      return stored;
    });
    let stored: Stored[];
    try {
      // A token signs inside the transaction, in one turn of its session queue.
      stored = key ? storeAll(null) : await (signer as Pkcs11Signer).withSigningTurn((signNow) => storeAll(signNow));
    } catch (e) {
      chunks.forEach((c) => c.abandon());
      throw e;
    }
    return {
      caId: issuer.ca.id,
      profile: profile.name,
      issued: stored.map((c) => ({ caId: issuer.ca.id, source: c.source, serial: c.serial, subject: c.subject, sans: c.sans, profile: profile.name, notBefore, notAfter, fingerprintSha256: c.fingerprintSha256, certificatePem: toPem(c.der, 'CERTIFICATE') })),
      rejected,
    };
  } finally {
    await issuer.signer.close();
  }
}

function hintFor(code: string): string {
  return code === 'INTERNAL_ERROR' ? 'This is a Coldroot fault; report it' : 'Fix the request and submit it again';
}

/**
 * Fresh serials, handed out in ascending order of their stored form: rows then join the serial
 * indexes at their end instead of at random places. Each is still 128 random bits.
 */
function withSerials(ctx: OperationContext, issuer: IssuingCa, csrs: BatchIssueInput['csrs']): RequestItem[] {
  const serials = new Map<string, Uint8Array>();
  while (serials.size < csrs.length) {
    const s = randomSerial();
    if (!serials.has(s.hex) && !serialExists(ctx.store.db, issuer.ca.id, s.hex)) serials.set(s.hex, s.bytes);
  }
  const ordered = [...serials.entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
  return csrs.map((c, i) => ({ csr: c.csr, source: c.source ?? `#${i + 1}`, serial: ordered[i][1] }));
}

type TokenSign = (items: Uint8Array[]) => Uint8Array[];

interface ChunkRun {
  ctx: OperationContext;
  issuer: IssuingCa;
  profile: string;
  notBefore: string;
  notAfter: string;
  at: string;
  items: RequestItem[];
  chunks: Array<TaskTicket<ProcessedRequest[]>>;
  /** Null when the threads signed (software key). */
  signNow: TokenSign | null;
  onRejected: (r: Rejection) => void;
  onProgress: BatchIssueInput['onProgress'];
}

/**
 * Inside the transaction: takes each chunk as the threads finish it, (token) signs it, assembles,
 * hashes and inserts its certificates. A token's signatures are checked on the threads meanwhile;
 * every check is in before this returns, so nothing unverified is ever committed.
 */
function storeChunks(run: ChunkRun): Stored[] {
  const { ctx, issuer, items } = run;
  const alg = signatureAlgorithmDer(issuer.signer);
  const signatureOid = keyAlgorithmInfo(issuer.signer.algorithm).signatureOid;
  const checks: Array<TaskTicket<number[]>> = [];
  const out: Stored[] = [];
  let done = 0;
  try {
    for (const [k, chunk] of run.chunks.entries()) {
      const results = chunk.take();
      const ok: Array<Extract<ProcessedRequest, { ok: true }> & { serial: string }> = [];
      results.forEach((r, j) => {
        if (r.ok) ok.push({ ...r, serial: Buffer.from(items[k * CHUNK + j].serial).toString('hex').replace(/^0/, '') });
        else run.onRejected(r);
      });
      if (run.signNow && ok.length) {
        const tbs = ok.map((r) => r.tbs);
        const sigs = run.signNow(tbs);
        ok.forEach((r, j) => { r.signature = sigs[j]; });
        checks.push(startTask<number[]>({ kind: 'verify', signatureOid, issuerSpki: issuer.ca.publicKeySpki, tbs, signatures: sigs }, items.length));
      }
      for (const r of ok) {
        const der = assembleSigned(r.tbs, alg, r.signature!);
        const c: Stored = { source: r.source, der, fingerprintSha256: createHash('sha256').update(der).digest('hex'), serial: r.serial, subject: r.subject, sans: r.sans };
        insertCertificate(ctx.store.db, { caId: issuer.ca.id, serial: c.serial, profile: run.profile, subject: c.subject, sans: c.sans, notBefore: run.notBefore, notAfter: run.notAfter, fingerprintSha256: c.fingerprintSha256, der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: run.at });
        out.push(c);
      }
      done += results.length;
      run.onProgress?.(done, items.length);
    }
    const bad = checks.reduce((n, c) => n + c.take().length, 0);
    if (bad) throw new ColdrootError('SIGNATURE_CHECK_FAILED', `${bad} signatures made by ${issuer.signer.keyUri} do not verify with the CA's public key`, 'The token malfunctioned or holds another key; nothing was stored', 'failure');
    return out;
  } catch (e) {
    checks.forEach((c) => c.abandon());
    throw e;
  }
}
