import type { StateCreator } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import type { ConsoleState } from './console-store.js';
import { idle, settle, type AuditVerifyReport, type In, type Loadable, type Out } from './types.js';

export type AuditFilter = Pick<In<'listAudit'>, 'action' | 'actor' | 'since'>;
export const AUDIT_PAGE = 100;

export interface AuditSlice {
  auditFilter: AuditFilter;
  auditOffset: number;
  auditPage: Loadable<Out<'listAudit'>>;
  auditVerify: Loadable<AuditVerifyReport>;
  setAuditFilter(patch: Partial<AuditFilter>): Promise<void>;
  setAuditOffset(offset: number): Promise<void>;
  loadAudit(): Promise<void>;
  verifyAudit(): Promise<void>;
}

export const auditSlice = (t: ConsoleTransport): StateCreator<ConsoleState, [], [], AuditSlice> => (set, get) => ({
  auditFilter: {},
  auditOffset: 0,
  auditPage: idle(),
  auditVerify: idle(),
  async setAuditFilter(patch) {
    set({ auditFilter: { ...get().auditFilter, ...patch }, auditOffset: 0 });
    await get().loadAudit();
  },
  async setAuditOffset(offset) {
    set({ auditOffset: Math.max(0, offset) });
    await get().loadAudit();
  },
  async loadAudit() {
    set({ auditPage: { ...get().auditPage, loading: true } });
    const f = get().auditFilter;
    const r = await t.client.listAudit({ action: f.action || undefined, actor: f.actor || undefined, since: f.since || undefined, order: 'desc', offset: get().auditOffset, limit: AUDIT_PAGE });
    set({ auditPage: settle(get().auditPage, r) });
  },
  async verifyAudit() {
    set({ auditVerify: { ...get().auditVerify, loading: true } });
    set({ auditVerify: settle(get().auditVerify, await t.client.verifyAudit({})) });
  },
});
