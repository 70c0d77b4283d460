import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import type { ConsoleState } from './console-store.js';
import { idle, settle, type Loadable, type Overview, type SessionInfo, type Settings } from './types.js';

export const SCREENS = ['overview', 'cas', 'certificates', 'import', 'risk', 'queue', 'agents', 'audit', 'settings'] as const;
export type Screen = (typeof SCREENS)[number] | 'first-run';

export interface SessionSlice {
  session: Loadable<SessionInfo>;
  overview: Loadable<Overview>;
  settings: Loadable<Settings>;
  screen: Screen;
  /** Set when the operator leaves the first-run screen without creating anything. */
  firstRunDismissed: boolean;
  loadSession(): Promise<void>;
  loadOverview(): Promise<void>;
  loadSettings(): Promise<void>;
  go(screen: Screen): void;
  dismissFirstRun(): void;
}

export const sessionSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], SessionSlice> => (set, get) => ({
  session: idle(),
  overview: idle(),
  settings: idle(),
  screen: 'overview',
  firstRunDismissed: false,
  async loadSession() {
    set({ session: { ...get().session, loading: true } });
    const r = await t.client.session({});
    set({ session: settle(get().session, r) });
    if (r.ok && r.value.firstRun && !get().firstRunDismissed) set({ screen: 'first-run' });
  },
  async loadOverview() {
    if (get().overview.loading) return; // one request in flight is enough
    set({ overview: { ...get().overview, loading: true } });
    set({ overview: settle(get().overview, await t.client.overview({})) });
  },
  async loadSettings() {
    set({ settings: { ...get().settings, loading: true } });
    set({ settings: settle(get().settings, await t.client.settings({})) });
  },
  go(screen) {
    set({ screen });
  },
  dismissFirstRun() {
    set({ firstRunDismissed: true, screen: 'overview' });
  },
});
