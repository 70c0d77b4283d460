import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import type { ConsoleState } from './console-store.js';
import { idle, settle, type ApiError, type ApiResult, type CertificateDetail, type CertificateQuery, type CertificateRow, type In, type Loadable, type Out } from './types.js';

export const PAGE_SIZE = 200;
export type CertificateFilter = Omit<CertificateQuery, 'offset' | 'limit'>;
export const DEFAULT_FILTER: CertificateFilter = { sort: 'notAfter', order: 'asc' };

export interface CertificatesSlice {
  certFilter: CertificateFilter;
  /** Bumped by every new filter: answers to an older one are dropped. */
  certGeneration: number;
  /** The generation of the last page that arrived (equal to certGeneration once the table shows the current filter). */
  certLoaded: number;
  certTotal: number | null;
  certPages: Record<number, CertificateRow[]>;
  certPending: Record<number, true>;
  certError: ApiError | null;
  /** Time the server spent on the last page, and the round trip the console measured. */
  certTiming: { serverMs: number; roundTripMs: number } | null;
  certSelected: { caId: string; serial: string } | null;
  certDetail: Loadable<CertificateDetail>;
  setCertFilter(patch: Partial<CertificateFilter>): Promise<void>;
  ensureCertRows(first: number, last: number): Promise<void>;
  resetCertificates(): void;
  selectCertificate(sel: { caId: string; serial: string } | null): Promise<void>;
  revokeCertificate(reason: In<'revokeCertificate'>['reason']): Promise<ApiResult<Out<'revokeCertificate'>>>;
}

export const certificatesSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], CertificatesSlice> => (set, get) => {
  async function fetchPage(page: number): Promise<void> {
    const gen = get().certGeneration;
    if (get().certPages[page] || get().certPending[page]) return;
    set({ certPending: { ...get().certPending, [page]: true } });
    const started = performance.now();
    const r = await t.client.queryCertificates({ ...get().certFilter, offset: page * PAGE_SIZE, limit: PAGE_SIZE });
    if (gen !== get().certGeneration) return;
    const { [page]: _done, ...pending } = get().certPending;
    if (!r.ok) return set({ certPending: pending, certError: r.error });
    set({
      certPending: pending, certError: null, certLoaded: gen, certTotal: r.value.total, certPages: { ...get().certPages, [page]: r.value.rows },
      certTiming: { serverMs: r.value.tookMs, roundTripMs: Math.round(performance.now() - started) },
    });
  }
  return {
    certFilter: DEFAULT_FILTER,
    certGeneration: 0,
    certLoaded: -1,
    certTotal: null,
    certPages: {},
    certPending: {},
    certError: null,
    certTiming: null,
    certSelected: null,
    certDetail: idle(),
    async setCertFilter(patch) {
      set({ certFilter: { ...get().certFilter, ...patch }, certGeneration: get().certGeneration + 1, certPages: {}, certPending: {}, certError: null });
      await fetchPage(0);
    },
    async ensureCertRows(first, last) {
      const pages: number[] = [];
      for (let p = Math.floor(Math.max(0, first) / PAGE_SIZE); p <= Math.floor(Math.max(0, last) / PAGE_SIZE); p++) pages.push(p);
      await Promise.all(pages.map(fetchPage));
    },
    resetCertificates() {
      set({ certGeneration: get().certGeneration + 1, certPages: {}, certPending: {}, certTotal: null });
    },
    async selectCertificate(sel) {
      set({ certSelected: sel, certDetail: sel ? { ...idle(), loading: true } : idle() });
      if (!sel) return;
      const r = await t.client.getCertificate(sel);
      if (get().certSelected === sel) set({ certDetail: settle(idle(), r) });
    },
    async revokeCertificate(reason) {
      const sel = get().certSelected;
      if (!sel) return { ok: false, error: { code: 'NOTHING_SELECTED', message: 'No certificate is selected', hint: 'Choose a certificate in the table first' } };
      const r = await t.client.revokeCertificate({ ...sel, reason });
      if (r.ok) {
        get().resetCertificates();
        await Promise.all([get().selectCertificate(sel), get().loadOverview(), get().loadCas()]);
      }
      return r;
    },
  };
};
