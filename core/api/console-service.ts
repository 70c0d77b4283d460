import { existsSync, writeFileSync } from 'node:fs';
import { readAuditPublicKey } from '../audit/audit-key.js';
import type { AuditVerifyReport } from '../audit/audit-types.js';
import { createIntermediateCa, createRootCa, summarizeCa, type CaSummary, type CreateCaInput } from '../ca/create-ca.js';
import { createIntermediateRequest, importCaCertificate } from '../ca/external-intermediate.js';
import { issueBatch, type BatchIssueInput, type BatchIssueResult } from '../ca/issue-batch.js';
import { importCa, type ImportedKey } from '../ca/import-ca.js';
import { issueCertificate, type IssuedCertificate, type IssueInput } from '../ca/issue-certificate.js';
import type { OperationContext } from '../ca/operation-context.js';
import { presignOcsp, type OcspPresignInput, type OcspPresignResult } from '../ca/presign-ocsp.js';
import { BUILTIN_PROFILES } from '../ca/profiles/builtin-profiles.js';
import type { CertificateProfile } from '../ca/profiles/certificate-profile.js';
import { publishCrl, type CrlInput, type PublishedCrl } from '../ca/publish-crl.js';
import { revokeCertificate, type RevokeInput, type RevokeResult } from '../ca/revoke-certificate.js';
import { ColdrootError } from '../errors.js';
import type { KeyAlgorithm } from '../keys/key-algorithm.js';
import type { KeySecret, NewKeySpec } from '../keys/key-spec.js';
import { listOcspResponders, type OcspResponderRecord } from '../store/ocsp-responder-repository.js';
import { createOcspResponder, type OcspResponderSummary } from '../ca/ocsp-responder.js';
import { getCa, listCas } from '../store/ca-repository.js';
import { openStore, type Store } from '../store/database.js';
import { toPem } from '../x509/asn1.js';
import type { BundleLimits } from '../bundles/bundle-format.js';
import { importBundle, type ImportOptions, type ImportOutcome } from '../bundles/bundle-import.js';
import { inspectBundle, type InspectReport } from '../bundles/bundle-inspect.js';
import { BundleRepository, type RenewalRequestSummary, type StoredBundle } from '../bundles/bundle-repository.js';
import { createBundleSigner, currentBundleSigner, type BundleSignerSummary, type CreateBundleSignerInput } from '../bundles/console-signer.js';
import type { MetricsParallelism } from '../bundles/payloads/metrics-file.js';
import { exportRenewal, type RenewalExportInput, type RenewalExportResult } from '../bundles/renewal-export.js';
import { previewCa, type CaDraft, type CaPreview } from './ca-ceremony.js';
import { certificateDetail, type CertificateDetail } from './certificate-detail.js';
import { auditPage, caHealth, consoleSettings, listQuarantine, overview, type AuditPage, type CaHealth, type QuarantineEntry } from './console-queries.js';
import { loadDemoFleet, type DemoFleetSummary } from './demo-fleet.js';
import { queryCertificates, type CertificatePage, type CertificateQuery } from '../store/certificate-query.js';
import { listPkcs11Tokens, type TokenInfo } from '../keys/pkcs11-module.js';
import { generateAgentPackages, type GenerateAgentPackagesInput, type GenerateAgentPackagesResult } from '../agents/agent-package.js';
import { renewalCounters, type RenewalCounters } from '../agents/renewal-counters.js';
import { previewAgentPackages, type AgentPackagePreview } from './agent-preview.js';
import { explainRisk, type RiskExplanation } from '../models/risk-queries.js';
import { scoreFleet, type ScoreFleetResult } from '../models/scoring-pipeline.js';
import { getModel, listModels, trainModel, type ModelVersion, type TrainModelInput } from '../models/model-registry.js';
import { decideAction, listActions, renewalPlan, type ActionFilter, type QueuedAction, type RenewalPlan } from '../policy/action-queue.js';
import { policySha256, resolvePolicy, type RiskPolicy } from '../policy/policy-file.js';
import { metricSeries, riskPage, type MetricSeriesView, type RiskPageQuery, type RiskPageRow } from './risk-views.js';
import { rolloutReport, type RolloutReportInput, type RolloutReportView } from '../policy/canary/rollout-report.js';

export interface ConsoleOptions {
  home: string;
  operator: string;
  /** Create the home if it does not exist (only `init`). */
  create?: boolean;
  readonly?: boolean;
  now?: () => Date;
}

/** Writes an output file, never overwriting one (ceremony rule). */
export function writeNewFile(path: string, data: string | Uint8Array): void {
  if (existsSync(path)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${path} already exists`, 'Choose a new file name; Coldroot never overwrites its outputs');
  writeFileSync(path, data, { flag: 'wx' });
}

/**
 * The one typed API over core. The CLI, Electron main, the browser host and the tests call
 * these methods; each state change is one transaction with its audit entry.
 */
export class ConsoleService {
  readonly store: Store;
  readonly ctx: OperationContext;

  private constructor(store: Store, operator: string, now: () => Date) {
    this.store = store;
    this.ctx = { store, operator, now };
  }

  static open(opts: ConsoleOptions): ConsoleService {
    const store = openStore(opts.home, { create: opts.create, readonly: opts.readonly });
    return new ConsoleService(store, opts.operator, opts.now ?? (() => new Date()));
  }

  close(): void {
    this.store.close();
  }

  /** Records the creation of a home (once) and reports the audit key a verifier should pin. */
  initialize(): { home: string; created: boolean; auditKeyFingerprint: string } {
    const fresh = (this.store.db.prepare('SELECT count(*) AS n FROM audit_entries').get() as { n: number }).n === 0;
    if (fresh) {
      this.store.transaction(() => {
        this.store.audit.append({ actor: this.ctx.operator, action: 'home.init', inputs: { home: this.store.home }, outcome: 'ok' }, this.ctx.now());
      });
    }
    return { home: this.store.home, created: fresh, auditKeyFingerprint: readAuditPublicKey(this.store.db)!.fingerprint };
  }

  info(): { home: string; cas: number; certificates: number; auditEntries: number } {
    const count = (sql: string) => (this.store.db.prepare(sql).get() as { n: number }).n;
    return { home: this.store.home, cas: count('SELECT count(*) AS n FROM cas'), certificates: count('SELECT count(*) AS n FROM certificates'), auditEntries: count('SELECT count(*) AS n FROM audit_entries') };
  }

  createRootCa(input: CreateCaInput): Promise<CaSummary> {
    return createRootCa(this.ctx, input);
  }

  createIntermediateCa(input: CreateCaInput & { parentId: string; parentSecret: KeySecret }): Promise<CaSummary> {
    return createIntermediateCa(this.ctx, input);
  }

  requestIntermediateCa(input: CreateCaInput): Promise<CaSummary> {
    return createIntermediateRequest(this.ctx, input);
  }

  importCaCertificate(input: { caId: string; certificate: Uint8Array | string }): CaSummary {
    return importCaCertificate(this.ctx, input);
  }

  importCa(input: { certificate: Uint8Array | string; key: ImportedKey }): Promise<CaSummary> {
    return importCa(this.ctx, input);
  }

  listCas(): CaSummary[] {
    return listCas(this.store.db).map(summarizeCa);
  }

  showCa(caId: string): CaSummary & { certificates: number; revoked: number; lastCrlNumber: number } {
    const ca = getCa(this.store.db, caId);
    const counts = this.store.db.prepare("SELECT count(*) AS n, sum(status = 'revoked') AS r FROM certificates WHERE ca_id = ?").get(caId) as { n: number; r: number | null };
    return { ...summarizeCa(ca), certificates: counts.n, revoked: counts.r ?? 0, lastCrlNumber: ca.crlNumber };
  }

  /** PEM of the CA certificate, with `chain` its parents up to the root held here. */
  exportCa(caId: string, chain: boolean): string {
    let ca = getCa(this.store.db, caId);
    if (!ca.certificateDer) throw new ColdrootError('CA_NOT_ACTIVE', `CA '${caId}' has no certificate yet`, 'Import its certificate first');
    let pem = toPem(ca.certificateDer, 'CERTIFICATE');
    while (chain && ca.parentId) {
      ca = getCa(this.store.db, ca.parentId);
      pem += toPem(ca.certificateDer!, 'CERTIFICATE');
    }
    return pem;
  }

  issueCertificate(input: IssueInput): Promise<IssuedCertificate> {
    return issueCertificate(this.ctx, input);
  }

  issueBatch(input: BatchIssueInput): Promise<BatchIssueResult> {
    return issueBatch(this.ctx, input);
  }

  revokeCertificate(input: RevokeInput): RevokeResult {
    return revokeCertificate(this.ctx, input);
  }

  publishCrl(input: CrlInput): Promise<PublishedCrl> {
    return publishCrl(this.ctx, input);
  }

  presignOcsp(input: OcspPresignInput): Promise<OcspPresignResult> {
    return presignOcsp(this.ctx, input);
  }

  createOcspResponder(input: { caId: string; caSecret: KeySecret; key: NewKeySpec; algorithm: KeyAlgorithm; validity?: string }): Promise<OcspResponderSummary> {
    return createOcspResponder(this.ctx, input);
  }

  listOcspResponders(caId: string): Array<Omit<OcspResponderRecord, 'certificateDer'>> {
    getCa(this.store.db, caId);
    return listOcspResponders(this.store.db, caId).map(({ certificateDer: _der, ...r }) => r);
  }

  listProfiles(): CertificateProfile[] {
    return [...BUILTIN_PROFILES.values()];
  }

  auditVerify(): AuditVerifyReport {
    return this.store.audit.verify();
  }

  auditExport(path: string): { path: string; entries: number } {
    return this.store.audit.export(path);
  }

  /** Imports bundles one after the other; each is accepted, found already imported, or rejected (and quarantined). */
  async importBundles(files: string[], opts: ImportOptions = {}): Promise<ImportOutcome[]> {
    const out: ImportOutcome[] = [];
    for (const f of files) out.push(await importBundle(this.ctx, f, opts));
    return out;
  }

  /** Every import check, as a report, storing nothing (works on a read-only home). */
  inspectBundle(file: string, opts: { limits?: Partial<BundleLimits>; parallel?: MetricsParallelism } = {}): Promise<InspectReport> {
    return inspectBundle(this.ctx, file, opts);
  }

  /** Answers pending renewal requests with a signed renewal bundle written to input.out. */
  exportRenewalBundle(input: RenewalExportInput): Promise<RenewalExportResult> {
    return exportRenewal(this.ctx, input);
  }

  createBundleSigner(input: CreateBundleSignerInput): Promise<BundleSignerSummary> {
    return createBundleSigner(this.ctx, input);
  }

  bundleSigner(): BundleSignerSummary | null {
    return currentBundleSigner(this.store.db);
  }

  listBundles(filter: { type?: string; direction?: 'import' | 'export'; limit?: number } = {}): StoredBundle[] {
    return new BundleRepository(this.store.db).list(filter);
  }

  listRenewalRequests(filter: { status?: RenewalRequestSummary['status']; limit?: number } = {}): RenewalRequestSummary[] {
    return new BundleRepository(this.store.db).renewalRequests(filter);
  }

  /** Signed agent-package bundles, one per device, with fresh bootstrap credentials (see docs/agent-package.md). */
  generateAgentPackages(input: GenerateAgentPackagesInput): Promise<GenerateAgentPackagesResult> {
    return generateAgentPackages(this.ctx, input);
  }

  /** What generateAgentPackages will sign for these hosts, before any key is unlocked. */
  previewAgentPackages(input: { caId: string; hosts: string[]; bootstrapValidity?: string; thresholdDays?: number }): AgentPackagePreview {
    return previewAgentPackages(this.ctx, input);
  }

  renewalCounters(): RenewalCounters {
    return renewalCounters(this.ctx);
  }

  // Risk models and the action queue (issue 6), for the console's Risk and Queue screens.

  /** The risk policy in effect: <home>/risk-policy.json when present, else the built-in defaults. */
  riskPolicy(): { policy: RiskPolicy; source: string; sha256: string } {
    const { policy, source } = resolvePolicy(this.store.home);
    return { policy, source, sha256: policySha256(policy) };
  }

  trainModel(input: TrainModelInput): ModelVersion {
    return trainModel(this.ctx, input);
  }

  listModels(): ModelVersion[] {
    return listModels(this.ctx);
  }

  getModel(id: number): ModelVersion {
    return getModel(this.ctx, id);
  }

  /** Scores the fleet under the effective policy (see riskPolicy). */
  scoreRisk(input: { windowHours?: number; modelVersion?: number }): ScoreFleetResult & { policySource: string } {
    const { policy, source } = this.riskPolicy();
    return { ...scoreFleet(this.ctx, { ...input, policy }), policySource: source };
  }

  riskPage(q: RiskPageQuery): { total: number; rows: RiskPageRow[] } {
    return riskPage(this.ctx, q);
  }

  explainRisk(query: string): RiskExplanation {
    return explainRisk(this.ctx, query);
  }

  metricSeries(input: { host: string; certSha256?: string; from?: string; to?: string }): MetricSeriesView {
    return metricSeries(this.ctx, input);
  }

  listActions(filter: ActionFilter): QueuedAction[] {
    return listActions(this.ctx, filter);
  }

  decideAction(id: number, decision: 'approve' | 'reject', note?: string): QueuedAction {
    return decideAction(this.ctx, id, decision, note);
  }

  /** What the approved actions ask of the next renewal bundle, under the effective policy. */
  renewalPlan(): RenewalPlan {
    return renewalPlan(this.ctx, this.riskPolicy().policy);
  }

  /** Canary rollouts as the imported metric bundles (samples and stored rollout.json) show them; reads only. */
  rolloutReport(input: RolloutReportInput = {}): RolloutReportView {
    return rolloutReport(this.ctx, input);
  }

  // The operator console's reads (issue 8); its writes are the methods above.

  /** One page of the whole inventory: filter, search, sort and paging done in SQLite (indexed). */
  queryCertificates(q: CertificateQuery): CertificatePage {
    return queryCertificates(this.store.db, q, this.ctx.now());
  }

  /** Every field and extension of one certificate, decoded. */
  certificateDetail(caId: string, serial: string): CertificateDetail {
    return certificateDetail(this.store.db, caId, serial, this.ctx.now());
  }

  /** Exactly what a root or intermediate ceremony will sign, before a key is made or unlocked. */
  previewCa(draft: CaDraft): CaPreview {
    return previewCa(this.store.db, draft, this.ctx.now());
  }

  caHealth(): Promise<CaHealth[]> {
    return caHealth(this.store, this.ctx.now());
  }

  overview(): ReturnType<typeof overview> {
    return overview(this.store, this.ctx.now());
  }

  auditList(filter: { action?: string; actor?: string; since?: string; order: 'asc' | 'desc'; offset: number; limit: number }): AuditPage {
    return auditPage(this.store, filter);
  }

  listQuarantine(): QuarantineEntry[] {
    return listQuarantine(this.store.home);
  }

  listPkcs11Tokens(modulePath: string): Promise<TokenInfo[]> {
    return listPkcs11Tokens(modulePath);
  }

  consoleSettings(): ReturnType<typeof consoleSettings> {
    return consoleSettings();
  }

  /** Demo CAs, a simulated fleet and its bundles in this home (lab passphrase; see demo-fleet.ts). */
  loadDemoFleet(hosts: number, onProgress?: (done: number, total: number, message: string) => void): Promise<DemoFleetSummary> {
    return loadDemoFleet(this, hosts, onProgress);
  }
}
