import { useEffect, useState } from 'react';
import { ErrorBanner, fmtDate, fmtDay } from '../components/common.js';
import { useConsole } from '../store/use-console.js';
import type { ActionStatusFilter, QueuedAction } from '../store/risk-slice.js';
import type { ApiError } from '../store/types.js';

const STATUSES: ActionStatusFilter[] = ['pending', 'approved', 'rejected', 'exported', 'closed', 'all'];

/** One action: its evidence, and for a pending one a note with Approve and Reject. */
function ActionRow({ a }: { a: QueuedAction }) {
  const decide = useConsole((s) => s.decideAction);
  const [note, setNote] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const run = async (decision: 'approve' | 'reject') => {
    setBusy(true);
    setError(null);
    const r = await decide({ id: a.id, decision, note: note.trim() || undefined });
    setBusy(false);
    if (!r.ok) setError(r.error);
  };
  const subject = `${a.host}${a.certSha256 ? ` ${a.certSha256.slice(0, 12)}…` : ''}`;
  return (
    <tr aria-label={`Action ${a.id}`}>
      <td>#{a.id} <strong>{a.action}</strong>{a.dueAt && <div className="muted">due {fmtDay(a.dueAt)}</div>}</td>
      <td>{a.host}{a.certSha256 ? <div className="mono muted" title={a.certSha256}>{a.certSha256.slice(0, 12)}…</div> : <div className="muted">whole host</div>}</td>
      <td>{a.riskScore ?? '—'}{a.level && <div><span className={`badge risk-${a.level}`}>{a.level}</span></div>}</td>
      <td>{a.reason}<div className="muted">{a.evidenceSummary}</div></td>
      <td>v{a.modelVersion}</td>
      <td><span className={`badge badge-${a.status}`}>{a.status}</span>{a.decidedBy && <div className="muted">{a.decidedBy}, {fmtDate(a.decidedAt)}{a.decisionNote ? `: ${a.decisionNote}` : ''}</div>}{a.exportedIn && <div className="muted">in bundle {a.exportedIn}</div>}</td>
      <td>
        {a.status === 'pending' ? (
          <div>
            <label htmlFor={`note-${a.id}`} className="muted">Note (required to reject)</label>
            <input id={`note-${a.id}`} value={note} maxLength={2000} onChange={(e) => setNote(e.target.value)} />
            <div className="actions">
              <button type="button" className="primary" disabled={busy} aria-label={`Approve action ${a.id} (${a.action} for ${subject})`} onClick={() => void run('approve')}>Approve</button>
              <button type="button" disabled={busy} aria-label={`Reject action ${a.id} (${a.action} for ${subject})`} onClick={() => void run('reject')}>Reject</button>
            </div>
            <ErrorBanner error={error} />
          </div>
        ) : '—'}
      </td>
    </tr>
  );
}

/** The actions the risk policy proposed; every decision is audited with the evidence and model version. */
export function ActionQueue() {
  const actions = useConsole((s) => s.actions);
  const status = useConsole((s) => s.actionsStatus);
  const load = useConsole((s) => s.loadActions);
  useEffect(() => { void load(); }, [load]);
  const list = actions.value ?? [];
  return (
    <section className="card" aria-labelledby="q-actions">
      <h2 id="q-actions">Action queue</h2>
      <p className="muted">Actions the risk policy proposed from the latest scores. Approve or reject each; the decision, its note, the evidence and the model version go into the audit trail.</p>
      <div className="field" style={{ maxWidth: 240 }}>
        <label htmlFor="q-actions-status">Show actions</label>
        <select id="q-actions-status" value={status} onChange={(e) => void load(e.target.value as ActionStatusFilter)}>{STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}</select>
      </div>
      <ErrorBanner error={actions.error} />
      {actions.value && list.length === 0 && <p>No {status === 'all' ? '' : `${status} `}actions.</p>}
      {list.length > 0 && (
        <table aria-label="Queued actions">
          <thead><tr><th scope="col">Action</th><th scope="col">Subject</th><th scope="col">Risk</th><th scope="col">Evidence</th><th scope="col">Model</th><th scope="col">Status</th><th scope="col">Decision</th></tr></thead>
          <tbody>{list.map((a) => <ActionRow key={a.id} a={a} />)}</tbody>
        </table>
      )}
    </section>
  );
}

/** What the approved actions ask of the next renewal bundle (core's renewal plan). */
export function ActionPlanCard() {
  const plan = useConsole((s) => s.actionPlan);
  const load = useConsole((s) => s.loadActionPlan);
  useEffect(() => { void load(); }, [load]);
  const p = plan.value;
  return (
    <section className="card" aria-labelledby="q-plan">
      <h2 id="q-plan">Approved actions for the next renewal bundle</h2>
      <ErrorBanner error={plan.error} />
      {p && p.actionIds.length === 0 && <p>No approved renewal, investigation or emergency certificate is waiting.</p>}
      {p && p.actionIds.length > 0 && (
        <ul aria-label="Renewal plan">
          {p.hosts.map((h) => <li key={`renew-${h}`}>Renew {h} with a new key (answer its renewal request)</li>)}
          {p.investigations.map((i) => <li key={`inv-${i.host}`}>Investigate {i.host}: metrics every {i.collectIntervalSeconds} s{i.logExcerpts ? ' with log excerpts' : ''} until {fmtDate(i.until)}</li>)}
          {p.emergency.map((e) => <li key={`em-${e.actionId}`}>Emergency certificate for {e.host} from CA {e.caId}</li>)}
        </ul>
      )}
      <p className="muted">The export below carries them (tick "Carry the approved risk actions"): investigation instructions go to the agents, and the renewals of the hosts whose requests it answers are marked exported. The command line shows the same plan with: coldroot queue plan.</p>
    </section>
  );
}
