import type { StateCreator } from 'zustand/vanilla';
import type { StagedFile } from '../../../core/api/contract.js';
import type { ConsoleTransport, StageableFile } from '../api/console-transport.js';
import type { ConsoleState } from './console-store.js';
import { withProgress, type CallProgress } from './call-progress.js';
import { idle, settle, type ApiError, type ApiResult, type BundleLimits, type In, type Out, type BundleRow, type ImportOutcome, type InspectReport, type Loadable, type QuarantineEntry, type RenewalRequestRow } from './types.js';

export interface Upload { name: string; sent: number; total: number; error: ApiError | null }

export interface BundlesSlice {
  staged: StagedFile[];
  uploads: Upload[];
  inspections: Record<string, Loadable<InspectReport>>;
  importRun: Loadable<ImportOutcome[]> & { progress: CallProgress | null };
  quarantine: Loadable<QuarantineEntry[]>;
  bundleHistory: Loadable<BundleRow[]>;
  renewalRequests: Loadable<RenewalRequestRow[]>;
  bundleSigner: Loadable<Out<'bundleSigner'>>;
  /** Limits the operator set in Settings for this session (the defaults when null). */
  bundleLimits: Partial<BundleLimits> | null;
  stageFiles(files: StageableFile[]): Promise<void>;
  inspect(id: string): Promise<void>;
  importStaged(ids: string[]): Promise<void>;
  loadQuarantine(): Promise<void>;
  loadBundleHistory(): Promise<void>;
  loadRenewalRequests(): Promise<void>;
  setBundleLimits(limits: Partial<BundleLimits> | null): void;
  loadBundleSigner(): Promise<void>;
  /** Both return their result to the screen, which owns the secrets they carry. */
  createBundleSigner(input: In<'createBundleSigner'>): Promise<ApiResult<Out<'createBundleSigner'>>>;
  /** `onProgress` sees the batch signing as it goes (certificates signed of the requests answered). */
  exportRenewalBundle(input: In<'exportRenewalBundle'>, onProgress?: (p: CallProgress) => void): Promise<ApiResult<Out<'exportRenewalBundle'>>>;
}

export const bundlesSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], BundlesSlice> => (set, get) => ({
  staged: [],
  uploads: [],
  inspections: {},
  importRun: { ...idle(), progress: null },
  quarantine: idle(),
  bundleHistory: idle(),
  renewalRequests: idle(),
  bundleLimits: null,
  bundleSigner: idle(),
  async stageFiles(files) {
    for (const file of files) {
      const upload: Upload = { name: file.name, sent: 0, total: file.size, error: null };
      set({ uploads: [...get().uploads.filter((u) => u.name !== file.name), upload] });
      const update = (patch: Partial<Upload>) => set({ uploads: get().uploads.map((u) => (u.name === file.name ? { ...u, ...patch } : u)) });
      const r = await t.stage(file, (sent, total) => update({ sent, total }));
      if (!r.ok) {
        update({ error: r.error });
        continue;
      }
      set({ staged: [...get().staged, r.value], uploads: get().uploads.filter((u) => u.name !== file.name) });
      await get().inspect(r.value.id);
    }
  },
  async inspect(id) {
    set({ inspections: { ...get().inspections, [id]: { ...idle(), loading: true } } });
    const r = await t.client.inspectBundle({ stagedId: id, limits: get().bundleLimits ?? undefined });
    set({ inspections: { ...get().inspections, [id]: settle(idle(), r) } });
  },
  async importStaged(ids) {
    if (!ids.length) return;
    set({ importRun: { ...get().importRun, loading: true, error: null, progress: null } });
    const r = await withProgress(t, (callId) => t.client.importBundles({ stagedIds: ids, limits: get().bundleLimits ?? undefined }, { callId }),
      (progress) => set({ importRun: { ...get().importRun, progress } }));
    set({ importRun: { ...settle(get().importRun, r), progress: null } });
    if (r.ok) {
      set({ staged: get().staged.filter((s) => !ids.includes(s.id)), inspections: Object.fromEntries(Object.entries(get().inspections).filter(([k]) => !ids.includes(k))) });
      await Promise.all([get().loadQuarantine(), get().loadBundleHistory(), get().loadOverview()]);
    }
  },
  async loadQuarantine() {
    set({ quarantine: { ...get().quarantine, loading: true } });
    set({ quarantine: settle(get().quarantine, await t.client.listQuarantine({})) });
  },
  async loadBundleHistory() {
    set({ bundleHistory: { ...get().bundleHistory, loading: true } });
    set({ bundleHistory: settle(get().bundleHistory, await t.client.listBundles({ limit: 50 })) });
  },
  async loadRenewalRequests() {
    set({ renewalRequests: { ...get().renewalRequests, loading: true } });
    set({ renewalRequests: settle(get().renewalRequests, await t.client.listRenewalRequests({})) });
  },
  setBundleLimits(limits) {
    set({ bundleLimits: limits });
  },
  async loadBundleSigner() {
    set({ bundleSigner: { ...get().bundleSigner, loading: true } });
    set({ bundleSigner: settle(get().bundleSigner, await t.client.bundleSigner({})) });
  },
  async createBundleSigner(input) {
    const r = await t.client.createBundleSigner(input);
    if (r.ok) await Promise.all([get().loadBundleSigner(), get().loadOverview()]);
    return r;
  },
  async exportRenewalBundle(input, onProgress) {
    const r = await withProgress(t, (callId) => t.client.exportRenewalBundle(input, { callId }), (p) => onProgress?.(p));
    if (r.ok) {
      get().resetCertificates();
      await Promise.all([get().loadRenewalRequests(), get().loadBundleHistory(), get().loadOverview()]);
    }
    return r;
  },
});
