import { useEffect, useRef, useState } from 'react';
import { Busy, ErrorBanner, fmtBytes, fmtDate, fmtInt, Progress } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { ImportOutcome, InspectReport } from '../store/types.js';

function Report({ report }: { report: InspectReport }) {
  return (
    <div className={`report verdict-${report.verdict}`}>
      <p>
        <strong>{report.verdict === 'valid' ? 'Verifies: ready to import' : report.verdict === 'known' ? 'Already known to this home' : 'Rejected'}</strong>
        {report.type && <> · {report.type} bundle, sequence {report.sequence}, created {fmtDate(report.createdAt)}</>}
        {report.records !== undefined && <> · {fmtInt(report.records)} records</>}
      </p>
      {report.failure && (
        <div className="banner banner-error" role="alert">
          <strong>{report.failure.code}</strong>{report.failure.check ? ` (check: ${report.failure.check})` : ''}
          <p>{report.failure.message}</p>
          <p className="hint">Next step: {report.failure.hint}</p>
        </div>
      )}
      {report.producer && <p>Producer <strong>{report.producer.subject}</strong>, serial {report.producer.serial}, issued by {report.producer.issuer}{report.producer.chain ? `; chain: ${report.producer.chain.join(' → ')}` : ''}</p>}
      {report.known && <p>{report.known.direction === 'import' ? 'Imported' : 'Exported'} at {fmtDate(report.known.at)} by {report.known.operator}.</p>}
      <ul className="checks" aria-label="Verification checks">
        {report.checks.map((c) => <li key={c.check} className={`check-${c.status}`}><span className="badge">{c.status}</span> {c.check}</li>)}
      </ul>
      {report.files.length > 0 && (
        <table aria-label="Payload files">
          <thead><tr><th scope="col">File</th><th scope="col">Schema</th><th scope="col">Size</th><th scope="col">Records</th><th scope="col">SHA-256</th></tr></thead>
          <tbody>{report.files.map((f) => <tr key={f.name}><td>{f.name}</td><td>{f.schema ?? '—'}</td><td>{fmtBytes(f.size)}</td><td>{fmtInt(f.records)}</td><td className="mono">{f.sha256.slice(0, 16)}…</td></tr>)}</tbody>
        </table>
      )}
    </div>
  );
}

function Outcome({ o }: { o: ImportOutcome }) {
  if (o.status === 'accepted') return <li className="outcome-accepted"><strong>{o.name}</strong>: accepted, {o.type} from {o.producer}, sequence {o.sequence}, {fmtInt(o.records)} records.</li>;
  if (o.status === 'already-imported') return <li className="outcome-known"><strong>{o.name}</strong>: already imported at {fmtDate(o.importedAt)}; nothing changed.</li>;
  return <li className="outcome-rejected"><strong>{o.name}</strong>: rejected, {o.code}{o.check ? ` (check: ${o.check})` : ''}: {o.message}{o.quarantine ? ` (kept as ${o.quarantine})` : ''}</li>;
}

export function ImportScreen() {
  const staged = useConsole((s) => s.staged);
  const uploads = useConsole((s) => s.uploads);
  const inspections = useConsole((s) => s.inspections);
  const run = useConsole((s) => s.importRun);
  const quarantine = useConsole((s) => s.quarantine);
  const history = useConsole((s) => s.bundleHistory);
  const stageFiles = useConsole((s) => s.stageFiles);
  const importStaged = useConsole((s) => s.importStaged);
  const loadQuarantine = useConsole((s) => s.loadQuarantine);
  const loadHistory = useConsole((s) => s.loadBundleHistory);
  const limits = useConsole((s) => s.bundleLimits);
  const [over, setOver] = useState(false);
  const input = useRef<HTMLInputElement>(null);
  useEffect(() => { void loadQuarantine(); void loadHistory(); }, [loadQuarantine, loadHistory]);
  const importable = staged.filter((f) => inspections[f.id]?.value?.verdict !== 'known');
  return (
    <div className="import">
      <section className="card" aria-labelledby="imp-drop">
        <h2 id="imp-drop">Bundles to import</h2>
        <div className={over ? 'dropzone over' : 'dropzone'} onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
          onDrop={(e) => { e.preventDefault(); setOver(false); void stageFiles([...e.dataTransfer.files]); }}>
          <p>Drop bundle files here (from the USB stick), or</p>
          <label htmlFor="bundle-files" className="button">Choose bundles…</label>
          <input ref={input} id="bundle-files" className="visually-hidden" type="file" multiple accept=".tar,.bundle,application/x-tar" onChange={(e) => { void stageFiles([...(e.target.files ?? [])]); e.target.value = ''; }} />
          <p className="muted">Each file is verified before anything is stored: signature, trust, revocation, replay, hashes, schema and size limits{limits ? ' (your limits from Settings)' : ''}.</p>
        </div>
        {uploads.map((u) => (
          <div key={u.name}>{u.error ? <ErrorBanner error={u.error} title={`Could not hand over ${u.name}`} /> : <Progress done={u.sent} total={u.total} message={`handing over ${u.name}`} />}</div>
        ))}
        {staged.map((f) => {
          const r = inspections[f.id];
          return (
            <article key={f.id} className="staged" aria-label={`Verification report for ${f.name}`}>
              <h3>{f.name} <small>{fmtBytes(f.size)} · SHA-256 {f.sha256.slice(0, 16)}…</small></h3>
              {r?.loading && <Busy label="Verifying" />}
              <ErrorBanner error={r?.error} />
              {r?.value && <Report report={r.value} />}
            </article>
          );
        })}
        {staged.length > 0 && (
          <div className="actions">
            <button type="button" className="primary" disabled={run.loading || importable.length === 0} onClick={() => void importStaged(importable.map((f) => f.id))}>
              Import {importable.length} bundle{importable.length === 1 ? '' : 's'} (rejected ones go to quarantine)
            </button>
          </div>
        )}
        {run.loading && <Progress done={run.progress?.done ?? 0} total={run.progress?.total ?? importable.length} message={run.progress?.message ?? 'importing'} />}
        <ErrorBanner error={run.error} />
        <div role="status">{run.value && <ul className="outcomes" aria-label="Import results">{run.value.map((o, i) => <Outcome key={`${o.name}-${i}`} o={o} />)}</ul>}</div>
      </section>
      <section className="card" aria-labelledby="imp-q">
        <h2 id="imp-q">Quarantine</h2>
        <ErrorBanner error={quarantine.error} />
        {quarantine.value?.length === 0 && <p>No bundle has been rejected.</p>}
        {quarantine.value && quarantine.value.length > 0 && (
          <table aria-label="Quarantined bundles">
            <thead><tr><th scope="col">Rejected</th><th scope="col">File</th><th scope="col">Check</th><th scope="col">Reason</th><th scope="col">Kept as</th></tr></thead>
            <tbody>{quarantine.value.map((q) => <tr key={q.bundle}><td>{fmtDate(q.rejectedAt)}</td><td>{q.file.split('/').pop()}</td><td>{q.check ?? '—'}</td><td><strong>{q.code}</strong>: {q.message}</td><td className="mono">{q.bundle}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      <section className="card" aria-labelledby="imp-h">
        <h2 id="imp-h">Bundle history</h2>
        {history.value && history.value.length === 0 && <p>None yet.</p>}
        {history.value && history.value.length > 0 && (
          <table aria-label="Bundles imported and exported">
            <thead><tr><th scope="col">Processed</th><th scope="col">Direction</th><th scope="col">Type</th><th scope="col">Producer</th><th scope="col">Seq.</th><th scope="col">Records</th><th scope="col">Operator</th></tr></thead>
            <tbody>{history.value.map((b) => <tr key={b.bundleId}><td>{fmtDate(b.processedAt)}</td><td>{b.direction}</td><td>{b.type}</td><td>{b.producerSubject}</td><td>{b.sequence}</td><td>{fmtInt(b.records)}</td><td>{b.operator}</td></tr>)}</tbody>
          </table>
        )}
      </section>
    </div>
  );
}
