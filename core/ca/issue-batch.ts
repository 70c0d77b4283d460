import { createHash } from 'node:crypto';
import { ColdrootError } from '../errors.js';
import { keyAlgorithmInfo } from '../keys/key-algorithm.js';
import type { KeySecret } from '../keys/key-spec.js';
import type { Signer } from '../keys/signer.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import type { Database } from 'better-sqlite3';
import type { AuditLog } from '../audit/audit-log.js';
import { CertificateBulkWriter, usedSerials } from '../store/certificate-repository.js';
import { toPem } from '../x509/asn1.js';
import { assembleSigned, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { prepareThreads, runTask } from './batch/batch-pool.js';
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

type BatchSigner = Signer & { signMany?: (items: Uint8Array[]) => Promise<Uint8Array[]> };
interface Signed { source: string; der: Uint8Array; fingerprintSha256: string; serial: string; subject: string; sans: string[] }

/**
 * Issues many certificates in one sitting. The CA key is opened once; requests are verified,
 * checked against the profile and rendered from a pre-encoded template (byte-identical to the
 * library-built TBSCertificate) on worker threads; a software key signs there too, a token signs
 * on its one session queue and each of its signatures is verified before the batch commits. Each
 * chunk is stored as soon as it is signed, while the threads sign the next ones, in one transaction
 * on a connection of the batch's own (it spans awaits: nothing else of this process slips into it)
 * that commits with one audit entry, or stores nothing.
 */
export async function issueBatch(ctx: OperationContext, input: BatchIssueInput, audit: { action: string; single?: boolean } = { action: 'cert.issue-batch' }): Promise<BatchIssueResult> {
  const profile = typeof input.profile === 'string' ? builtinProfile(input.profile) : input.profile;
  if (profile.kind === 'ca') throw new ColdrootError('PROFILE_NOT_FOR_LEAF', `Profile '${profile.name}' is for CA certificates`, 'Create CAs with: coldroot ca create-intermediate');
  prepareThreads(input.csrs.length);
  const issuer = await openIssuingCa(ctx, input.caId, input.secret);
  let conn: { db: Database; audit: AuditLog } | null = null;
  try {
    const facts = { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen, crlUrl: issuer.ca.crlUrl, ocspUrl: issuer.ca.ocspUrl, caIssuersUrl: issuer.ca.caIssuersUrl };
    const window = validityWindow(profile, facts, ctx.now(), input.validity);
    const notBefore = window.notBefore.toISOString();
    const notAfter = window.notAfter.toISOString();
    const info = keyAlgorithmInfo(issuer.signer.algorithm);
    const spec: BatchSpec = { profile, template: certificateTemplate(profile, facts, issuer.subjectDer, window, signatureAlgorithmDer(issuer.signer)), hash: info.hash };
    const rejected: BatchIssueResult['rejected'] = [];
    conn = ctx.store.writeConnection();
    const { db } = conn;
    // The write lock is held from the serial check to the commit: no other writer can take a serial meanwhile.
    db.exec('BEGIN IMMEDIATE');
    const items = withFreshSerials(db, issuer.ca.id, input.csrs);
    const writer = new CertificateBulkWriter(db);
    const at = ctx.now().toISOString();
    const signed = await signAll(issuer, spec, items, input.onProgress, (r) => {
      if (r.kind === 'failure' || audit.single) throw new ColdrootError(r.code, r.message, hintFor(r.code), r.kind);
      rejected.push({ source: r.source, code: r.code, message: r.message });
    }, (chunk) => writer.add(chunk.map((c) => ({ caId: issuer.ca.id, serial: c.serial, profile: profile.name, subject: c.subject, sans: c.sans, notBefore, notAfter, fingerprintSha256: c.fingerprintSha256, der: c.der, status: 'good' as const, revokedAt: null, revocationReason: null, issuedAt: at }))));
    if (signed.length) {
      writer.finish();
      const serialsHash = createHash('sha256').update(signed.map((c) => c.serial).join('\n')).digest('hex');
      const details = audit.single ? { caId: issuer.ca.id, serial: signed[0].serial, profile: profile.name } : { caId: issuer.ca.id, profile: profile.name, issued: signed.length, rejected: rejected.length, serialsSha256: serialsHash };
      conn.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: audit.action, inputs: { serials: serialsHash, profile: profile.name }, outcome: 'ok', details }, ctx.now());
      db.exec('COMMIT');
    } else db.exec('ROLLBACK');
    return {
      caId: issuer.ca.id,
      profile: profile.name,
      issued: signed.map((c) => ({ caId: issuer.ca.id, source: c.source, serial: c.serial, subject: c.subject, sans: c.sans, profile: profile.name, notBefore, notAfter, fingerprintSha256: c.fingerprintSha256, certificatePem: toPem(c.der, 'CERTIFICATE') })),
      rejected,
    };
  } finally {
    if (conn?.db.inTransaction) conn.db.exec('ROLLBACK');
    conn?.db.close();
    await issuer.signer.close();
  }
}

/** A fresh random serial for each request: none the CA has used, none twice in the batch (checked in one statement per round). */
function withFreshSerials(db: Database, caId: string, csrs: BatchIssueInput['csrs']): RequestItem[] {
  const serials = csrs.map(() => randomSerial());
  for (;;) {
    const seen = new Set<string>();
    const used = usedSerials(db, caId, serials.map((s) => s.hex));
    let redrawn = 0;
    serials.forEach((s, i) => {
      if (used.has(s.hex) || seen.has(s.hex)) { serials[i] = randomSerial(); redrawn++; } else seen.add(s.hex);
    });
    if (!redrawn) return csrs.map((c, i) => ({ csr: c.csr, source: c.source ?? `#${i + 1}`, serial: serials[i].bytes }));
  }
}

function hintFor(code: string): string {
  return code === 'INTERNAL_ERROR' ? 'This is a Coldroot fault; report it' : 'Fix the request and submit it again';
}

/** Runs requests through the processor (on threads for large batches) and the key; returns what was signed, in order. */
async function signAll(issuer: IssuingCa, spec: BatchSpec, items: RequestItem[], onProgress: BatchIssueInput['onProgress'], onRejected: (r: Extract<ProcessedRequest, { ok: false }>) => void, store: (chunk: Signed[]) => void): Promise<Signed[]> {
  const signer = issuer.signer as BatchSigner;
  const key = signer instanceof SoftwareSigner ? signer.keyForWorkerThreads() : null;
  const signatureOid = keyAlgorithmInfo(signer.algorithm).signatureOid;
  const alg = signatureAlgorithmDer(signer);
  const chunks: Array<Promise<ProcessedRequest[]>> = [];
  for (let i = 0; i < items.length; i += CHUNK) {
    chunks.push(runTask<ProcessedRequest[]>({ kind: 'process', spec, key, items: items.slice(i, i + CHUNK) }, items.length));
  }
  const out: Signed[] = [];
  const checks: Array<Promise<void>> = [];
  let tokenFault: Error | null = null;
  let done = 0;
  for (const [k, chunk] of chunks.entries()) {
    const results = await chunk;
    if (tokenFault) throw tokenFault;
    const ok: Array<Extract<ProcessedRequest, { ok: true }> & { serial: string }> = [];
    results.forEach((r, j) => {
      if (r.ok) ok.push({ ...r, serial: Buffer.from(items[k * CHUNK + j].serial).toString('hex').replace(/^0/, '') });
      else onRejected(r);
    });
    if (!key) {
      // A token signs on its single session; every signature it returns is verified.
      const tbs = ok.map((r) => r.tbs);
      const sigs = signer.signMany ? await signer.signMany(tbs) : await Promise.all(tbs.map((t) => signer.sign(t)));
      ok.forEach((r, j) => { r.signature = sigs[j]; });
      checks.push(runTask<number[]>({ kind: 'verify', signatureOid, issuerSpki: issuer.ca.publicKeySpki, tbs, signatures: sigs }, items.length).then((bad) => {
        if (bad.length) throw new ColdrootError('SIGNATURE_CHECK_FAILED', `${bad.length} signatures made by ${signer.keyUri} do not verify with the CA's public key`, 'The token malfunctioned or holds another key; nothing was stored', 'failure');
      }).catch((e: Error) => { tokenFault ??= e; }));
    }
    // Assembled and stored while the threads work on the next chunks (a token's signatures are
    // checked before the batch commits).
    const stored = ok.map((r) => {
      const der = assembleSigned(r.tbs, alg, r.signature!);
      return { source: r.source, der, fingerprintSha256: createHash('sha256').update(der).digest('hex'), serial: r.serial, subject: r.subject, sans: r.sans };
    });
    store(stored);
    out.push(...stored);
    done += results.length;
    onProgress?.(done, items.length);
  }
  await Promise.all(checks);
  if (tokenFault) throw tokenFault;
  return out;
}
