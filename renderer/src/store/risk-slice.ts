import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import { withProgress, type CallProgress } from './call-progress.js';
import type { ConsoleState } from './console-store.js';
import { idle, settle, type ApiError, type ApiResult, type In, type Loadable, type Out } from './types.js';

export type RiskQuery = In<'riskList'>;
export type RiskPage = Out<'riskList'>;
export type RiskListRow = RiskPage['rows'][number];
export type RiskExplanation = Out<'riskExplain'>;
export type MetricSeries = Out<'metricSeries'>;
export type ModelVersion = Out<'modelsList'>[number];
export type QueuedAction = Out<'actionsList'>[number];
export type ActionStatusFilter = NonNullable<In<'actionsList'>['status']>;
export type RiskPolicyView = Out<'policyShow'>;
export type ActionPlan = Out<'actionPlan'>;

/** A subject picked in the risk table: a host, or one of its certificates. */
export interface RiskSelection {
  host: string;
  certSha256: string | null;
}

/** Training or scoring: one at a time, with what the host says it is doing. */
export interface RiskRun {
  kind: 'train' | 'score' | null;
  progress: CallProgress | null;
  error: ApiError | null;
  /** One line on the last run that finished. */
  done: string | null;
}

export interface RiskSlice {
  riskQuery: RiskQuery;
  riskPage: Loadable<RiskPage>;
  riskSelection: RiskSelection | null;
  riskDetail: Loadable<RiskExplanation>;
  metricSeries: Loadable<MetricSeries>;
  models: Loadable<ModelVersion[]>;
  riskRun: RiskRun;
  actionsStatus: ActionStatusFilter;
  actions: Loadable<QueuedAction[]>;
  riskPolicy: Loadable<RiskPolicyView>;
  actionPlan: Loadable<ActionPlan>;
  loadRisk(patch?: Partial<RiskQuery>): Promise<void>;
  selectRisk(selection: RiskSelection | null): Promise<void>;
  loadModels(): Promise<void>;
  trainModel(input: In<'modelsTrain'>): Promise<void>;
  scoreRisk(input: In<'riskScore'>): Promise<void>;
  loadActions(status?: ActionStatusFilter): Promise<void>;
  /** Returns the result to the row that asked (it shows a refusal next to its note). */
  decideAction(input: In<'actionDecide'>): Promise<ApiResult<QueuedAction>>;
  loadRiskPolicy(): Promise<void>;
  loadActionPlan(): Promise<void>;
}

export const riskSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], RiskSlice> => (set, get) => ({
  riskQuery: { subject: 'certificate', sort: 'risk', order: 'desc', offset: 0, limit: 50 },
  riskPage: idle(),
  riskSelection: null,
  riskDetail: idle(),
  metricSeries: idle(),
  models: idle(),
  riskRun: { kind: null, progress: null, error: null, done: null },
  actionsStatus: 'pending',
  actions: idle(),
  riskPolicy: idle(),
  actionPlan: idle(),
  async loadRisk(patch) {
    // A new filter or sort starts at the first page; paging keeps the rest.
    const riskQuery = { ...get().riskQuery, ...(patch && !('offset' in patch) ? { offset: 0 } : {}), ...patch };
    set({ riskQuery, riskPage: { ...get().riskPage, loading: true } });
    const r = await t.client.riskList(riskQuery);
    if (get().riskQuery === riskQuery) set({ riskPage: settle(get().riskPage, r) });
  },
  async selectRisk(selection) {
    set({ riskSelection: selection, riskDetail: selection ? { ...idle(), loading: true } : idle(), metricSeries: selection ? { ...idle(), loading: true } : idle() });
    if (!selection) return;
    const [detail, series] = await Promise.all([
      t.client.riskExplain({ query: selection.certSha256 ?? selection.host }),
      t.client.metricSeries({ host: selection.host, ...(selection.certSha256 ? { certSha256: selection.certSha256 } : {}) }),
    ]);
    if (get().riskSelection !== selection) return; // the operator picked another row meanwhile
    set({ riskDetail: settle(idle(), detail), metricSeries: settle(idle(), series) });
  },
  async loadModels() {
    set({ models: { ...get().models, loading: true } });
    set({ models: settle(get().models, await t.client.modelsList({})) });
  },
  async trainModel(input) {
    if (get().riskRun.kind) return;
    set({ riskRun: { kind: 'train', progress: null, error: null, done: null } });
    const r = await withProgress(t, (callId) => t.client.modelsTrain(input, { callId }), (progress) => set({ riskRun: { ...get().riskRun, progress } }));
    set({ riskRun: { kind: null, progress: null, error: r.ok ? null : r.error, done: r.ok ? `Model v${r.value.id} trained on ${r.value.windowStart.slice(0, 10)} to ${r.value.windowEnd.slice(0, 10)} (${r.value.evaluation.series} series)` : null } });
    if (r.ok) await get().loadModels();
  },
  async scoreRisk(input) {
    if (get().riskRun.kind) return;
    set({ riskRun: { kind: 'score', progress: null, error: null, done: null } });
    const r = await withProgress(t, (callId) => t.client.riskScore(input, { callId }), (progress) => set({ riskRun: { ...get().riskRun, progress } }));
    set({ riskRun: { kind: null, progress: null, error: r.ok ? null : r.error, done: r.ok ? `Scored ${r.value.series} series on ${r.value.hosts} hosts with model v${r.value.modelVersion}: ${r.value.actionsAdded.length} actions queued (${r.value.actionsAutoApproved.length} auto-approved), ${r.value.timings.total} s` : null } });
    if (r.ok) {
      const sel = get().riskSelection;
      await Promise.all([get().loadRisk(), get().loadActions(), get().loadOverview(), ...(sel ? [get().selectRisk(sel)] : [])]);
    }
  },
  async loadActions(status) {
    const actionsStatus = status ?? get().actionsStatus;
    set({ actionsStatus, actions: { ...get().actions, loading: true } });
    const r = await t.client.actionsList({ status: actionsStatus });
    if (get().actionsStatus === actionsStatus) set({ actions: settle(get().actions, r) });
  },
  async decideAction(input) {
    const r = await t.client.actionDecide(input);
    if (r.ok) await Promise.all([get().loadActions(), get().loadActionPlan()]);
    return r;
  },
  async loadRiskPolicy() {
    set({ riskPolicy: { ...get().riskPolicy, loading: true } });
    set({ riskPolicy: settle(get().riskPolicy, await t.client.policyShow({})) });
  },
  async loadActionPlan() {
    set({ actionPlan: { ...get().actionPlan, loading: true } });
    set({ actionPlan: settle(get().actionPlan, await t.client.actionPlan({})) });
  },
});
