import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import type { ConsoleState } from './console-store.js';
import { idle, settle, type AgentPackagePreview, type AgentPackages, type ApiResult, type In, type Loadable, type RenewalCounters, type RolloutReport } from './types.js';

export interface AgentsSlice {
  renewalCounters: Loadable<RenewalCounters>;
  /** Canary rollouts the hosts reported in their metric bundles. */
  rollouts: Loadable<RolloutReport>;
  loadRollouts(): Promise<void>;
  /** The last run's summary (package paths and anchor fingerprints: no secret, no key material). */
  agentPackages: AgentPackages | null;
  loadRenewalCounters(): Promise<void>;
  /** Returns the review to the screen; nothing is kept. */
  previewAgentPackages(input: In<'previewAgentPackages'>): Promise<ApiResult<AgentPackagePreview>>;
  /** The screen owns the secrets this carries; only the summary is kept. */
  generateAgentPackages(input: In<'generateAgentPackages'>): Promise<ApiResult<AgentPackages>>;
  clearAgentPackages(): void;
}

export const agentsSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], AgentsSlice> => (set, get) => ({
  renewalCounters: idle(),
  rollouts: idle(),
  agentPackages: null,
  async loadRollouts() {
    set({ rollouts: { ...get().rollouts, loading: true } });
    set({ rollouts: settle(get().rollouts, await t.client.rolloutReport({})) });
  },
  async loadRenewalCounters() {
    set({ renewalCounters: { ...get().renewalCounters, loading: true } });
    set({ renewalCounters: settle(get().renewalCounters, await t.client.renewalCounters({})) });
  },
  previewAgentPackages: (input) => t.client.previewAgentPackages(input),
  async generateAgentPackages(input) {
    const r = await t.client.generateAgentPackages(input);
    if (r.ok) {
      set({ agentPackages: r.value });
      // New bootstrap certificates and export records: the inventory and bundle views are stale.
      get().resetCertificates();
      await Promise.all([get().loadBundleHistory(), get().loadOverview()]);
    }
    return r;
  },
  clearAgentPackages() {
    set({ agentPackages: null });
  },
});
