import { mkdirSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import type { z } from 'zod';
import { checkDevices } from '../agents/agent-devices.js';
import { queuedExport } from '../policy/action-queue.js';
import { ColdrootError } from '../errors.js';
import { toPem } from '../x509/asn1.js';
import { draftToCreateInput } from './ca-ceremony.js';
import { assertModulePath } from './console-queries.js';
import { actionView } from './risk-views.js';
import type { ConsoleService } from './console-service.js';
import type { ConsoleOps, Out } from './contract.js';
import type { Op } from './op.js';
import type { StagingArea } from './staging-area.js';

export interface HandlerContext {
  readonly staging: StagingArea;
  readonly host: 'browser' | 'electron';
  readonly version: string;
  /** Reports progress of the current call (the renderer polls it with the `progress` operation). */
  progress(done: number, total: number, message: string): void;
  /** Progress of another call in flight, by its id. */
  progressOf(callId: string): { done: number; total: number; message: string } | null;
}

/** The implementation of each operation over ConsoleService; the types make it follow the contract. */
export type Handlers<T extends Record<string, Op>> = {
  [K in keyof T]: (svc: ConsoleService, input: z.output<T[K]['input']>, ctx: HandlerContext) => Promise<z.input<T[K]['output']>> | z.input<T[K]['output']>;
};

const stamp = (d: Date) => d.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z');

export const handlers: Handlers<ConsoleOps> = {
  session(svc, _input, ctx) {
    const info = svc.info();
    return { home: info.home, operator: svc.ctx.operator, host: ctx.host, version: ctx.version, cas: info.cas, certificates: info.certificates, firstRun: info.cas === 0 };
  },
  overview: (svc) => svc.overview(),
  settings: (svc) => svc.consoleSettings(),
  listPkcs11Tokens(svc, { modulePath }) {
    assertModulePath(modulePath);
    return svc.listPkcs11Tokens(modulePath);
  },
  loadDemoFleet: (svc, { hosts }, ctx) => svc.loadDemoFleet(hosts, ctx.progress),
  progress: (_svc, { callId }, ctx) => ctx.progressOf(callId),

  previewCa: (svc, { draft }) => svc.previewCa(draft),
  async createRootCa(svc, { draft, keySecret }) {
    if (draft.kind !== 'root') throw new ColdrootError('DRAFT_KIND_MISMATCH', `The draft is for a ${draft.kind} CA, not a root`, 'Start the root ceremony again');
    svc.previewCa(draft); // the same checks the review screen passed, against the home as it is now
    return svc.createRootCa(draftToCreateInput(draft, keySecret));
  },
  async createIntermediateCa(svc, { draft, keySecret, parentSecret }) {
    if (draft.kind !== 'intermediate' || !draft.parentId) throw new ColdrootError('DRAFT_KIND_MISMATCH', 'The draft is not for an intermediate CA with a parent', 'Start the intermediate ceremony again');
    svc.previewCa(draft);
    return svc.createIntermediateCa({ ...draftToCreateInput(draft, keySecret), parentId: draft.parentId, parentSecret });
  },
  exportChain(svc, { caId }) {
    const pem = svc.exportCa(caId, true);
    return { caId, fileName: `${caId}-chain.pem`, pem, certificates: pem.match(/BEGIN CERTIFICATE/g)?.length ?? 0 };
  },
  async publishCrl(svc, { caId, secret, nextUpdateHours }) {
    const crl = await svc.publishCrl({ caId, secret, nextUpdateHours });
    return { caId, crlNumber: crl.crlNumber, thisUpdate: crl.thisUpdate, nextUpdate: crl.nextUpdate, revokedCount: crl.revokedCount, pem: toPem(crl.der, 'X509 CRL'), fileName: `${caId}-${crl.crlNumber}.crl` };
  },
  presignOcsp: (svc, { caId, secret, outDir, validityHours }) =>
    svc.presignOcsp({ caId, secret, outDir: outDir ?? join(svc.store.home, 'ocsp', caId, stamp(svc.ctx.now())), validityHours }),

  queryCertificates: (svc, q) => svc.queryCertificates(q),
  getCertificate: (svc, { caId, serial }) => svc.certificateDetail(caId, serial),
  revokeCertificate: (svc, input) => svc.revokeCertificate(input),

  listStaged: (_svc, _input, ctx) => ctx.staging.list(),
  async inspectBundle(svc, { stagedId, limits }, ctx) {
    const f = ctx.staging.get(stagedId);
    const { file: _file, ...report } = await svc.inspectBundle(f.path, { limits });
    return { ...report, name: f.name };
  },
  async importBundles(svc, { stagedIds, limits }, ctx) {
    const files = stagedIds.map((id) => ctx.staging.get(id));
    const out = [];
    for (const [i, f] of files.entries()) {
      ctx.progress(i, files.length, `verifying and importing ${f.name}`);
      const [outcome] = await svc.importBundles([f.path], { limits });
      const { file: _file, ...rest } = outcome;
      out.push({ ...rest, name: f.name, ...(rest.status === 'rejected' && rest.quarantine ? { quarantine: join('quarantine', basename(rest.quarantine)) } : {}) });
      ctx.staging.remove(f.id);
    }
    ctx.progress(files.length, files.length, 'done');
    return out;
  },
  listBundles: (svc, filter) => svc.listBundles(filter),
  listQuarantine: (svc) => svc.listQuarantine(),
  listRenewalRequests: (svc, filter) => svc.listRenewalRequests(filter),
  bundleSigner: (svc) => svc.bundleSigner(),
  createBundleSigner(svc, { caId, caSecret, keyStorage, modulePath, tokenLabel, keySecret, algorithm }) {
    if (keyStorage === 'pkcs11' && (!modulePath || !tokenLabel)) {
      throw new ColdrootError('TOKEN_REQUIRED', 'A signing key on a PKCS#11 token needs the module path and the token label', 'Choose the module and token (Settings lists the tokens a module has)');
    }
    const key = keyStorage === 'pkcs11' ? { kind: 'pkcs11' as const, modulePath: modulePath!, tokenLabel: tokenLabel!, pin: keySecret } : { kind: 'software' as const, passphrase: keySecret };
    return svc.createBundleSigner({ caId, caSecret, key, algorithm });
  },
  async exportRenewalBundle(svc, { outDir, fromQueue, ...input }, ctx) {
    // As `coldroot bundle export renewal --from-queue`: the plan's instructions ride along; answered hosts' actions are marked exported.
    const dir = outDir ?? join(svc.store.home, 'exports');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    return svc.exportRenewalBundle({
      ...input, out: join(dir, `renewal-${stamp(svc.ctx.now())}.tar`), ...(fromQueue ? queuedExport(svc.ctx, svc.riskPolicy().policy) : {}),
      onProgress: (done, total) => ctx.progress(done, total, `signed ${done} of ${total} certificates`),
    });
  },

  listAudit: (svc, filter) => svc.auditList(filter),
  verifyAudit: (svc) => svc.auditVerify(),

  renewalCounters: (svc) => svc.renewalCounters(),
  rolloutReport: (svc, input) => svc.rolloutReport(input),
  previewAgentPackages: (svc, input) => svc.previewAgentPackages(input),
  async generateAgentPackages(svc, { outDir, hosts, thresholdDays, caId, caSecret, signerSecret, bootstrapValidity }) {
    // Everything the review showed is checked again before a folder is made or a key unlocked.
    svc.previewAgentPackages({ caId, hosts, bootstrapValidity, thresholdDays });
    const devices = checkDevices(hosts.map((host) => ({ host })), 'hosts');
    const dir = outDir ?? join(svc.store.home, 'exports');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // A new folder per run (the trailing separator makes even one host's package go inside it).
    const folder = join(dir, `agent-packages-${stamp(svc.ctx.now())}`);
    const r = await svc.generateAgentPackages({
      caId, caSecret, signerSecret, devices, out: `${folder}${sep}`, bootstrapValidity, ...(thresholdDays !== undefined ? { config: { renewal: { thresholdDays } } } : {}),
    });
    return { folder, ...r };
  },
  riskList: (svc, q) => svc.riskPage(q),
  riskExplain(svc, { query }) {
    const e = svc.explainRisk(query);
    const versions = [...new Set([e.host?.modelVersion, ...e.certificates.map((c) => c.modelVersion)].filter((v): v is number => typeof v === 'number'))];
    // Evidence is stored JSON (unknown to TypeScript); the output schema checks its shape on the way out.
    return { ...e, host: e.host as Out<'riskExplain'>['host'], certificates: e.certificates as Out<'riskExplain'>['certificates'], models: versions.map((v) => svc.getModel(v)) };
  },
  metricSeries: (svc, input) => svc.metricSeries(input),
  modelsList: (svc) => svc.listModels(),
  async modelsTrain(svc, input, ctx) {
    // Training is one synchronous run: say what is under way, let the renderer's poll see it, then train.
    ctx.progress(0, 1, `training a risk model on the last ${input.windowDays} days of imported metrics`);
    await new Promise((r) => setImmediate(r));
    const m = svc.trainModel(input);
    ctx.progress(1, 1, `model v${m.id} trained`);
    return m;
  },
  async riskScore(svc, input, ctx) {
    ctx.progress(0, 1, `scoring every host and certificate over the last ${input.windowHours} hours`);
    await new Promise((r) => setImmediate(r));
    const r = svc.scoreRisk(input);
    ctx.progress(1, 1, `scored ${r.series} series on ${r.hosts} hosts`);
    return r;
  },
  actionsList: (svc, filter) => svc.listActions(filter).map(actionView),
  actionDecide: (svc, { id, decision, note }) => actionView(svc.decideAction(id, decision, note)),
  policyShow: (svc) => svc.riskPolicy(),
  actionPlan(svc) {
    const p = svc.renewalPlan();
    return {
      hosts: p.hosts,
      investigations: p.instructions.filter((i) => i.investigation).map((i) => ({ host: i.host, until: i.investigation!.until, collectIntervalSeconds: i.investigation!.collectIntervalSeconds, logExcerpts: i.investigation!.logExcerpts })),
      emergency: p.emergency.map((e) => ({ host: e.host, caId: e.caId, actionId: e.actionId })),
      actionIds: p.actionIds,
    };
  },
};
