import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import type { ConsoleState } from './console-store.js';
import { withProgress, type CallProgress } from './call-progress.js';
import { idle, settle, type ApiResult, type In, type Loadable, type Out, type TokenInfo } from './types.js';

export interface CaSlice {
  cas: Loadable<Out<'overview'>['cas']>;
  selectedCa: string | null;
  tokens: Record<string, Loadable<TokenInfo[]>>;
  demo: Loadable<Out<'loadDemoFleet'>> & { progress: CallProgress | null };
  loadCas(): Promise<void>;
  selectCa(id: string | null): void;
  listTokens(modulePath: string): Promise<void>;
  /** Ceremony steps: each returns its result to the screen, which owns the secrets it sends. */
  previewCa(input: In<'previewCa'>): Promise<ApiResult<Out<'previewCa'>>>;
  createRootCa(input: In<'createRootCa'>): Promise<ApiResult<Out<'createRootCa'>>>;
  createIntermediateCa(input: In<'createIntermediateCa'>): Promise<ApiResult<Out<'createIntermediateCa'>>>;
  publishCrl(input: In<'publishCrl'>): Promise<ApiResult<Out<'publishCrl'>>>;
  presignOcsp(input: In<'presignOcsp'>): Promise<ApiResult<Out<'presignOcsp'>>>;
  exportChain(caId: string): Promise<ApiResult<Out<'exportChain'>>>;
  loadDemoFleet(hosts: number): Promise<void>;
}

export const caSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], CaSlice> => (set, get) => {
  /** After anything that changes CAs or the inventory, what the screens show is read again. */
  const refresh = async () => {
    await Promise.all([get().loadCas(), get().loadOverview(), get().loadSession()]);
    get().resetCertificates();
  };
  const changing = async <T>(r: Promise<ApiResult<T>>): Promise<ApiResult<T>> => {
    const out = await r;
    if (out.ok) await refresh();
    return out;
  };
  return {
    cas: idle(),
    selectedCa: null,
    tokens: {},
    demo: { ...idle(), progress: null },
    async loadCas() {
      set({ cas: { ...get().cas, loading: true } });
      const r = await t.client.overview({});
      set({ cas: settle(get().cas, r.ok ? { ok: true, value: r.value.cas } : r) });
      const sel = get().selectedCa;
      if (r.ok && (!sel || !r.value.cas.some((c) => c.id === sel))) set({ selectedCa: r.value.cas[0]?.id ?? null });
    },
    selectCa(id) {
      set({ selectedCa: id });
    },
    async listTokens(modulePath) {
      set({ tokens: { ...get().tokens, [modulePath]: { ...(get().tokens[modulePath] ?? idle()), loading: true } } });
      const r = await t.client.listPkcs11Tokens({ modulePath });
      set({ tokens: { ...get().tokens, [modulePath]: settle(get().tokens[modulePath] ?? idle(), r) } });
    },
    previewCa: (input) => t.client.previewCa(input),
    createRootCa: (input) => changing(t.client.createRootCa(input)),
    createIntermediateCa: (input) => changing(t.client.createIntermediateCa(input)),
    publishCrl: (input) => changing(t.client.publishCrl(input)),
    presignOcsp: (input) => t.client.presignOcsp(input),
    exportChain: (caId) => t.client.exportChain({ caId }),
    async loadDemoFleet(hosts) {
      set({ demo: { ...get().demo, loading: true, error: null, progress: null } });
      const r = await withProgress(t, (callId) => t.client.loadDemoFleet({ hosts }, { callId }), (progress) => set({ demo: { ...get().demo, progress } }));
      set({ demo: { ...settle(get().demo, r), progress: null } });
      if (r.ok) {
        await refresh();
        set({ screen: 'overview', firstRunDismissed: true });
      }
    },
  };
};
