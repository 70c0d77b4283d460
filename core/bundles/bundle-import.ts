import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError, isColdrootError } from '../errors.js';
import { resolveLimits, type BundleLimits } from './bundle-format.js';
import { applyRequestProofs, type ProofEffects } from '../attestation/request-proofs.js';
import { readBundle, type BundleReadResult, type OpenedBundle } from './bundle-reader.js';
import { isBundleRejection, reject, type BundleCheck } from './bundle-rejection.js';
import { BundleRepository } from './bundle-repository.js';
import type { MetricsParallelism } from './payloads/metrics-file.js';
import type { RolloutProgressFile } from '../policy/canary/rollout-progress.js';
import type { MetricRow } from './payloads/metrics-validate.js';
import { admitBundle, type Admission } from './producer-admission.js';
import { quarantineBundle } from './quarantine.js';

export interface ImportOptions {
  limits?: Partial<BundleLimits>;
  /** Copy rejected bundles to <home>/quarantine with a reason file and audit entry (default true). */
  quarantine?: boolean;
  parallel?: MetricsParallelism;
  /** Bytes of the bundle file read so far, and its size (for a progress display on long imports). */
  onProgress?: (bytesRead: number, totalBytes: number) => void;
}

export type ImportOutcome =
  | { file: string; status: 'accepted'; bundleId: string; type: string; producer: string; sequence: number; records: number; sha256: string }
  | { file: string; status: 'already-imported'; bundleId: string; type: string; importedAt: string; sha256: string }
  | { file: string; status: 'rejected'; code: string; check: BundleCheck | null; message: string; hint: string; quarantine: string | null };

/** The report reads one row per bundle, host and plan: a rollout.json naming a rollout twice is ambiguous. */
function checkOneReportPerRollout(progress: RolloutProgressFile): void {
  const seen = new Set<string>();
  for (const [i, r] of progress.rollouts.entries()) {
    const key = `${r.host}\u0000${r.planId}`;
    if (seen.has(key)) reject('BUNDLE_PAYLOAD_INVALID', `rollout.json: rollouts[${i}] reports plan '${r.planId}' of ${r.host} a second time`);
    seen.add(key);
  }
}

/**
 * Imports one bundle: every check of readBundle and admitBundle runs before the transaction
 * commits, the whole bundle (rows, reports or requests) and its `bundle.import` audit entry commit
 * together, and a failure rolls everything back. A bundle already imported (same id and manifest)
 * is a no-op that says so. A rejected bundle is quarantined (unless opts.quarantine is false).
 */
export async function importBundle(ctx: OperationContext, file: string, opts: ImportOptions = {}): Promise<ImportOutcome> {
  const limits = resolveLimits(opts.limits);
  const now = ctx.now();
  // Its transaction spans the whole (asynchronous) read of the bundle: a connection of its own.
  // Metric rows are appended in order: SQLite's 2 MiB cache suffices and the import's peak stays low.
  const { db, audit } = ctx.store.writeConnection({ cacheKiB: 2048 });
  const repo = new BundleRepository(db);
  let admission: Admission | null = null;
  let opened: OpenedBundle | null = null;
  let proofs: ProofEffects | null = null;
  let rowId = 0;
  let insertSample: (row: MetricRow) => void = () => undefined;
  let result: BundleReadResult;
  try {
    db.exec('BEGIN IMMEDIATE');
    result = await readBundle(file, {
      limits,
      parallel: opts.parallel,
      onProgress: opts.onProgress,
      admit: (b) => {
        admission = admitBundle(db, b, now, { importing: true });
        opened = b;
        if (admission.verdict === 'known') return 'hash-only';
        rowId = repo.insert({
          bundleId: b.manifest.bundleId, direction: 'import', type: b.manifest.type, formatVersion: b.manifest.formatVersion,
          producerSha256: b.signer.sha256, producerSubject: b.signer.subject, producerCaId: admission.producer.caId, producerSerial: admission.producer.serial,
          sequence: b.manifest.sequence, createdAt: b.manifest.createdAt, inReplyTo: b.manifest.inReplyTo ?? null,
          manifest: b.manifestBytes, manifestSha256: b.manifestSha256, signature: b.signature, processedAt: now.toISOString(), operator: ctx.operator,
        });
        insertSample = repo.sampleInserter(rowId);
        return 'process';
      },
      sink: {
        seriesId: (host, cert) => repo.seriesId(host, cert),
        metricRow: (row) => insertSample(row),
        riskReports: (reports) => repo.insertRiskReports(rowId, reports),
        rolloutProgress: (progress) => {
          checkOneReportPerRollout(progress);
          repo.insertRolloutProgress(rowId, (opened as OpenedBundle | null)!.manifest.createdAt, progress.rollouts);
        },
        // Proofs are checked against the inventory, TPM enrolments and nonces before the requests are stored.
        renewalRequests: (requests) => {
          const a = admission as Admission | null;
          const signer = (opened as OpenedBundle | null)!.signer;
          proofs = applyRequestProofs({ db, now, signer, recovery: a?.verdict === 'new' && a.producer.recovery === true }, requests, rowId);
          repo.insertRenewalRequests(rowId, requests);
        },
      },
    });
    const a = admission as Admission | null;
    if (!a) throw new Error('bundle read without admission');
    const m = result.manifest;
    if (a.verdict === 'known') {
      db.exec('ROLLBACK');
      return { file, status: 'already-imported', bundleId: m.bundleId, type: m.type, importedAt: a.existing.processedAt, sha256: result.fileSha256 };
    }
    const recovery = a.producer.recovery === true;
    if (recovery && !proofs) reject('BUNDLE_SIGNER_UNTRUSTED', `The producer certificate (${result.signer.subject}) expired at ${result.signer.notAfter}; an expired producer is accepted only for a TPM recovery request`);
    repo.finish(rowId, result.fileSha256, result.fileSize, result.records);
    const p = proofs as ProofEffects | null;
    const tpm = p && (p.enrolments.length || p.nonces.length)
      ? { tpm: { enrolled: p.enrolments.map((e) => ({ host: e.host, ekSha256: e.ekSha256 })), attested: p.nonces.map((n) => ({ host: n.host, requestId: n.requestId, nonce: n.nonce })) } } : {};
    audit.append({
      actor: ctx.operator, role: ctx.role ?? null, action: 'bundle.import', inputs: { bundle: result.fileSha256 }, outcome: 'ok',
      details: { bundleId: m.bundleId, type: m.type, producer: result.signer.subject, producerSha256: result.signer.sha256, sequence: m.sequence, records: result.records, fileSha256: result.fileSha256, ...(recovery ? { recovery: true } : {}), ...tpm },
    }, now);
    db.exec('COMMIT');
    return { file, status: 'accepted', bundleId: m.bundleId, type: m.type, producer: result.signer.subject, sequence: m.sequence, records: result.records, sha256: result.fileSha256 };
  } catch (e) {
    if (db.inTransaction) db.exec('ROLLBACK');
    db.close();
    if (isBundleRejection(e)) {
      const q = opts.quarantine === false ? null : await quarantineBundle(ctx, file, e);
      return { file, status: 'rejected', code: e.code, check: e.check, message: e.message, hint: e.hint, quarantine: q?.path ?? null };
    }
    if (isColdrootError(e) && e.kind === 'input') return { file, status: 'rejected', code: e.code, check: null, message: e.message, hint: e.hint, quarantine: null };
    throw e;
  } finally {
    if (db.open) db.close();
  }
}
