import { checkRequestProofs } from '../attestation/request-proofs.js';
import type { OperationContext } from '../ca/operation-context.js';
import { isColdrootError } from '../errors.js';
import { resolveLimits, type BundleLimits, IMPORTABLE_TYPES, type ManifestFile } from './bundle-format.js';
import { readBundle, type OpenedBundle } from './bundle-reader.js';
import { BUNDLE_CHECKS, isBundleRejection, type BundleCheck } from './bundle-rejection.js';
import type { MetricsParallelism } from './payloads/metrics-file.js';
import { admitBundle, type Admission } from './producer-admission.js';
import { fileSha256 } from './quarantine.js';

export type CheckStatus = 'passed' | 'failed' | 'skipped' | 'not-run';

export interface InspectReport {
  file: string;
  size: number | null;
  sha256: string | null;
  /** valid: would be imported (or, for a renewal bundle, verifies); known: this home already imported or exported it. */
  verdict: 'valid' | 'known' | 'rejected';
  importable: boolean;
  type?: string;
  formatVersion?: number;
  bundleId?: string;
  sequence?: number;
  createdAt?: string;
  inReplyTo?: string;
  signingTime?: string | null;
  producer?: { subject: string; issuer: string; serial: string; certificateSha256: string; notAfter: string; caId?: string; chain?: string[] };
  known?: { direction: 'import' | 'export'; at: string; operator: string };
  files: Array<ManifestFile & { records?: number }>;
  records?: number;
  checks: Array<{ check: BundleCheck; status: CheckStatus }>;
  failure?: { code: string; check: BundleCheck | null; message: string; hint: string };
}

/**
 * Runs every check an import runs, against this home's CAs, inventory and bundle history, and
 * reports what the bundle holds, without storing anything (the home may be open read-only).
 */
export async function inspectBundle(ctx: OperationContext, file: string, opts: { limits?: Partial<BundleLimits>; parallel?: MetricsParallelism } = {}): Promise<InspectReport> {
  const limits = resolveLimits(opts.limits);
  const now = ctx.now();
  let opened: OpenedBundle | null = null;
  let admission: Admission | null = null;
  const report: InspectReport = { file, size: null, sha256: null, verdict: 'rejected', importable: false, files: [], checks: [] };
  const status = new Map<BundleCheck, CheckStatus>(BUNDLE_CHECKS.map((c) => [c, 'not-run']));
  try {
    const r = await readBundle(file, {
      limits,
      parallel: opts.parallel,
      admit: (b) => {
        opened = b;
        for (const c of ['signature', 'manifest'] as const) status.set(c, 'passed');
        admission = admitBundle(ctx.store.db, b, now, { importing: false });
        for (const c of ['trust', 'revocation', 'replay'] as const) status.set(c, admission.verdict === 'known' ? 'skipped' : 'passed');
        return admission.verdict === 'known' ? 'hash-only' : 'process';
      },
      sink: {
        // The proofs are checked as the import checks them (reading only: no nonce is spent, no TPM enrolled).
        renewalRequests: (requests) => {
          const a = admission as Admission | null;
          if (a?.verdict !== 'new') return;
          checkRequestProofs({ db: ctx.store.db, now, signer: (opened as OpenedBundle | null)!.signer, recovery: a.producer.recovery === true }, requests);
        },
      },
    });
    for (const c of ['limits', 'archive', 'integrity'] as const) status.set(c, 'passed');
    status.set('schema', r.mode === 'process' ? 'passed' : 'skipped');
    report.size = r.fileSize;
    report.sha256 = r.fileSha256;
    report.files = r.files;
    report.records = r.records;
    const a = admission as Admission | null;
    report.verdict = a?.verdict === 'known' ? 'known' : 'valid';
  } catch (e) {
    if (!isColdrootError(e) || e.kind !== 'input') throw e;
    const check = isBundleRejection(e) ? e.check : null;
    if (check) status.set(check, 'failed');
    report.failure = { code: e.code, check, message: e.message, hint: e.hint };
    try {
      report.sha256 = await fileSha256(file);
    } catch {
      report.sha256 = null;
    }
  }
  const o = opened as OpenedBundle | null;
  if (o) {
    const m = o.manifest;
    Object.assign(report, { type: m.type, formatVersion: m.formatVersion, bundleId: m.bundleId, sequence: m.sequence, createdAt: m.createdAt, inReplyTo: m.inReplyTo, signingTime: o.signer.signingTime?.toISOString() ?? null });
    report.importable = IMPORTABLE_TYPES.includes(m.type);
    report.producer = { subject: o.signer.subject, issuer: o.signer.issuer, serial: o.signer.serial, certificateSha256: o.signer.sha256, notAfter: o.signer.notAfter };
    if (!report.files.length) report.files = m.files;
    const a = admission as Admission | null;
    if (a?.verdict === 'new') Object.assign(report.producer, { caId: a.producer.caId, chain: a.producer.chain });
    if (a?.verdict === 'known') report.known = { direction: a.existing.direction, at: a.existing.processedAt, operator: a.existing.operator };
  }
  report.checks = BUNDLE_CHECKS.map((check) => ({ check, status: status.get(check)! }));
  return report;
}
