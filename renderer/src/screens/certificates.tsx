import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useRef, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { ErrorBanner, Field, fmtDay, fmtInt, StateBadge } from '../components/common.js';
import { PAGE_SIZE, type CertificateFilter } from '../store/certificates-slice.js';
import { useConsole } from '../store/use-console.js';
import { CertificateDetailPanel } from './certificate-detail.js';

const ROW_HEIGHT = 32;
// Browsers cap an element's height near 33.5 million pixels: beyond this many rows the table says so.
export const MAX_TABLE_ROWS = Math.floor(33_500_000 / ROW_HEIGHT);
const COLUMNS = ['Subject', 'SANs', 'Serial', 'Issuer', 'Profile', 'Not after', 'State', 'Risk'];

function FilterBar() {
  const filter = useConsole((s) => s.certFilter);
  const setFilter = useConsole((s) => s.setCertFilter);
  const cas = useConsole(useShallow((s) => (s.cas.value ?? []).map((c) => c.id)));
  const profiles = useConsole(useShallow((s) => (s.settings.value?.profiles ?? []).filter((p) => p.kind === 'leaf').map((p) => p.name)));
  const [text, setText] = useState(filter.text ?? '');
  // Search as the operator types, once they pause.
  useEffect(() => {
    if ((filter.text ?? '') === text) return;
    const t = setTimeout(() => void setFilter({ text: text || undefined }), 180);
    return () => clearTimeout(t);
  }, [text, filter.text, setFilter]);
  const set = (patch: Partial<CertificateFilter>) => void setFilter(patch);
  const dateOf = (iso?: string) => (iso ? iso.slice(0, 10) : '');
  return (
    <form className="filters" role="search" aria-label="Filter certificates" onSubmit={(e) => { e.preventDefault(); set({ text: text || undefined }); }}>
      <Field id="cert-search" label="Search subject, SAN or serial">
        <input id="cert-search" type="search" value={text} onChange={(e) => setText(e.target.value)} placeholder="web-0001.fleet.example, 4f3a…, a SHA-256" />
      </Field>
      <Field id="cert-state" label="State">
        <select id="cert-state" value={filter.state ?? ''} onChange={(e) => set({ state: (e.target.value || undefined) as CertificateFilter['state'] })}>
          <option value="">any</option><option value="valid">valid</option><option value="expired">expired</option><option value="revoked">revoked</option>
        </select>
      </Field>
      <Field id="cert-ca" label="Issuing CA">
        <select id="cert-ca" value={filter.caId ?? ''} onChange={(e) => set({ caId: e.target.value || undefined })}>
          <option value="">any</option>{cas.map((c) => <option key={c} value={c}>{c}</option>)}
        </select>
      </Field>
      <Field id="cert-profile" label="Profile">
        <select id="cert-profile" value={filter.profile ?? ''} onChange={(e) => set({ profile: e.target.value || undefined })}>
          <option value="">any</option>{[...profiles, 'root-ca', 'intermediate-ca'].map((p) => <option key={p} value={p}>{p}</option>)}
        </select>
      </Field>
      <Field id="cert-risk" label="Risk at least">
        <select id="cert-risk" value={filter.risk ?? ''} onChange={(e) => set({ risk: (e.target.value || undefined) as CertificateFilter['risk'] })}>
          <option value="">any</option><option value="low">low</option><option value="medium">medium</option><option value="high">high</option><option value="critical">critical</option>
        </select>
      </Field>
      <Field id="cert-after" label="Expires from">
        <input id="cert-after" type="date" value={dateOf(filter.expiresAfter)} onChange={(e) => set({ expiresAfter: e.target.value ? `${e.target.value}T00:00:00Z` : undefined })} />
      </Field>
      <Field id="cert-before" label="Expires before">
        <input id="cert-before" type="date" value={dateOf(filter.expiresBefore)} onChange={(e) => set({ expiresBefore: e.target.value ? `${e.target.value}T00:00:00Z` : undefined })} />
      </Field>
      <Field id="cert-sort" label="Sort by">
        <select id="cert-sort" value={`${filter.sort}:${filter.order}`} onChange={(e) => { const [sort, order] = e.target.value.split(':'); set({ sort: sort as CertificateFilter['sort'], order: order as CertificateFilter['order'] }); }}>
          <option value="notAfter:asc">expiry, soonest first</option><option value="notAfter:desc">expiry, latest first</option>
          <option value="issuedAt:desc">issued, newest first</option><option value="issuedAt:asc">issued, oldest first</option>
          <option value="subject:asc">subject A–Z</option><option value="subject:desc">subject Z–A</option><option value="serial:asc">serial</option>
        </select>
      </Field>
    </form>
  );
}

function Summary() {
  const total = useConsole((s) => s.certTotal);
  const timing = useConsole((s) => s.certTiming);
  const loading = useConsole((s) => Object.keys(s.certPending).length > 0);
  const generation = useConsole((s) => s.certGeneration);
  const loaded = useConsole((s) => s.certLoaded);
  return (
    <p className="summary" role="status" aria-live="polite" data-testid="cert-summary" data-generation={generation} data-loaded={loaded} data-pending={loading ? 'yes' : 'no'}>
      {total === null ? 'Searching…' : `${fmtInt(total)} certificates`}
      {timing && ` · server ${timing.serverMs} ms · round trip ${timing.roundTripMs} ms`}
      {loading && total !== null ? ' · loading rows…' : ''}
      {total !== null && total > MAX_TABLE_ROWS ? ` · the table lists the first ${fmtInt(MAX_TABLE_ROWS)}: filter, or sort the other way, to reach the rest` : ''}
    </p>
  );
}

function Table() {
  const total = useConsole((s) => Math.min(s.certTotal ?? 0, MAX_TABLE_ROWS));
  const pages = useConsole((s) => s.certPages);
  const ensure = useConsole((s) => s.ensureCertRows);
  const select = useConsole((s) => s.selectCertificate);
  const selected = useConsole((s) => s.certSelected);
  const parent = useRef<HTMLDivElement>(null);
  const v = useVirtualizer({ count: total, getScrollElement: () => parent.current, estimateSize: () => ROW_HEIGHT, overscan: 20 });
  const items = v.getVirtualItems();
  const first = items[0]?.index ?? 0;
  const last = items[items.length - 1]?.index ?? 0;
  useEffect(() => {
    if (total > 0) void ensure(first, last);
  }, [first, last, total, ensure, pages]);
  return (
    <div className="vtable" role="table" aria-label="Certificates" aria-rowcount={total + 1}>
      <div role="rowgroup" className="vthead">
        <div role="row" className="vrow" aria-rowindex={1}>{COLUMNS.map((c) => <div role="columnheader" key={c} className={`vcell col-${c.toLowerCase().replace(/\W/g, '')}`}>{c}</div>)}</div>
      </div>
      <div ref={parent} className="vbody" role="rowgroup" tabIndex={0} aria-label="Certificate rows (scroll)">
        <div style={{ height: v.getTotalSize(), position: 'relative' }}>
          {items.map((it) => {
            const row = pages[Math.floor(it.index / PAGE_SIZE)]?.[it.index % PAGE_SIZE];
            const isSel = !!row && selected?.serial === row.serial && selected.caId === row.caId;
            return (
              <div role="row" key={it.key} aria-rowindex={it.index + 2} aria-selected={isSel} className={isSel ? 'vrow selected' : 'vrow'}
                style={{ position: 'absolute', top: 0, left: 0, right: 0, height: ROW_HEIGHT, transform: `translateY(${it.start}px)` }}>
                {row ? (<>
                  <div role="cell" className="vcell col-subject"><button type="button" className="row-link" onClick={() => void select({ caId: row.caId, serial: row.serial })}>{row.subject}</button></div>
                  <div role="cell" className="vcell col-sans">{row.sans.join(', ')}</div>
                  <div role="cell" className="vcell col-serial mono">{row.serial}</div>
                  <div role="cell" className="vcell col-issuer">{row.caId}</div>
                  <div role="cell" className="vcell col-profile">{row.profile}</div>
                  <div role="cell" className="vcell col-notafter">{fmtDay(row.notAfter)}</div>
                  <div role="cell" className="vcell col-state"><StateBadge state={row.state} /></div>
                  <div role="cell" className="vcell col-risk">{row.risk ? <span className={`badge risk-${row.risk.level}`}>{row.risk.level} {Math.round(row.risk.score * 100)}</span> : '—'}</div>
                </>) : <div role="cell" className="vcell loading">loading row {fmtInt(it.index + 1)}…</div>}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}

export function CertificatesScreen() {
  const loaded = useConsole((s) => s.certTotal !== null || Object.keys(s.certPending).length > 0);
  const setFilter = useConsole((s) => s.setCertFilter);
  const loadCas = useConsole((s) => s.loadCas);
  const loadSettings = useConsole((s) => s.loadSettings);
  const error = useConsole((s) => s.certError);
  const selected = useConsole((s) => s.certSelected);
  useEffect(() => {
    void loadCas();
    void loadSettings();
    if (!loaded) void setFilter({});
  }, [loaded, setFilter, loadCas, loadSettings]);
  return (
    <div className={selected ? 'certs with-detail' : 'certs'}>
      <div className="certs-main">
        <FilterBar />
        <Summary />
        <ErrorBanner error={error} />
        <Table />
      </div>
      {selected && <CertificateDetailPanel />}
    </div>
  );
}
