import { useEffect, useState } from 'react';
import { Busy, ErrorBanner, Field, fmtDate, fmtInt, Notice } from '../components/common.js';
import { AUDIT_PAGE } from '../store/audit-slice.js';
import { useConsole } from '../store/use-console.js';

function VerifyPanel() {
  const verify = useConsole((s) => s.auditVerify);
  const run = useConsole((s) => s.verifyAudit);
  const r = verify.value;
  return (
    <section className="card" aria-labelledby="audit-verify">
      <h2 id="audit-verify">Chain state</h2>
      <p>Verification recomputes every entry's hash over its content and the previous entry, checks each Ed25519 signature and the signed head.</p>
      <button type="button" className="primary" onClick={() => void run()} disabled={verify.loading}>Verify the audit trail</button>
      {verify.loading && <Busy label="Verifying every entry" />}
      <ErrorBanner error={verify.error} />
      {r && (r.ok
        ? <Notice kind="ok"><strong>Audit trail intact</strong>: {fmtInt(r.entries)} entries, head #{r.head.seq} <span className="mono">{r.head.hash.slice(0, 24)}…</span>, signed by audit key <span className="mono">{r.keyFingerprint.slice(0, 24)}…</span></Notice>
        : <div className="banner banner-error" role="alert"><strong>Audit trail BROKEN at entry {r.firstBadSeq}</strong> ({r.problem}): {r.message}</div>)}
    </section>
  );
}

export function AuditScreen() {
  const page = useConsole((s) => s.auditPage);
  const filter = useConsole((s) => s.auditFilter);
  const offset = useConsole((s) => s.auditOffset);
  const load = useConsole((s) => s.loadAudit);
  const setFilter = useConsole((s) => s.setAuditFilter);
  const setOffset = useConsole((s) => s.setAuditOffset);
  const [actor, setActor] = useState(filter.actor ?? '');
  useEffect(() => { void load(); }, [load]);
  const total = page.value?.total ?? 0;
  return (
    <div>
      <VerifyPanel />
      <section className="card" aria-labelledby="audit-trail">
        <h2 id="audit-trail">Trail</h2>
        <form className="filters" aria-label="Filter the audit trail" onSubmit={(e) => { e.preventDefault(); void setFilter({ actor: actor || undefined }); }}>
          <Field id="audit-action" label="Action">
            <select id="audit-action" value={filter.action ?? ''} onChange={(e) => void setFilter({ action: e.target.value || undefined })}>
              <option value="">any</option>{(page.value?.actions ?? []).map((a) => <option key={a} value={a}>{a}</option>)}
            </select>
          </Field>
          <Field id="audit-actor" label="Actor">
            <input id="audit-actor" value={actor} onChange={(e) => setActor(e.target.value)} onBlur={() => void setFilter({ actor: actor || undefined })} />
          </Field>
          <Field id="audit-since" label="Since">
            <input id="audit-since" type="date" value={filter.since?.slice(0, 10) ?? ''} onChange={(e) => void setFilter({ since: e.target.value || undefined })} />
          </Field>
        </form>
        <ErrorBanner error={page.error} />
        <p role="status">{fmtInt(total)} entries{total > AUDIT_PAGE ? `, showing ${offset + 1}–${Math.min(offset + AUDIT_PAGE, total)}` : ''}, newest first.</p>
        <table aria-label="Audit entries">
          <thead><tr><th scope="col">#</th><th scope="col">At</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Outcome</th><th scope="col">Details</th><th scope="col">Hash</th></tr></thead>
          <tbody>
            {(page.value?.entries ?? []).map((e) => (
              <tr key={e.seq}>
                <td>{e.seq}</td><td>{fmtDate(e.at)}</td><td>{e.actor}</td><td>{e.action}</td>
                <td>{e.outcome === 'ok' ? <span className="badge badge-valid">ok</span> : <span className="badge badge-revoked">{e.outcome}</span>}</td>
                <td className="details">{Object.entries(e.details).map(([k, v]) => `${k}: ${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' · ')}</td>
                <td className="mono">{e.hash.slice(0, 12)}…</td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="actions">
          <button type="button" disabled={offset === 0} onClick={() => void setOffset(offset - AUDIT_PAGE)}>Newer</button>
          <button type="button" disabled={offset + AUDIT_PAGE >= total} onClick={() => void setOffset(offset + AUDIT_PAGE)}>Older</button>
        </div>
      </section>
    </div>
  );
}
