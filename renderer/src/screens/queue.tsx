import { useEffect } from 'react';
import { ComingWith, ErrorBanner, fmtDate } from '../components/common.js';
import { useConsole } from '../store/use-console.js';

/** Renewal requests the hosts sent (real, from imported bundles); approving and batch-signing arrive with the action queue. */
export function QueueScreen() {
  const requests = useConsole((s) => s.renewalRequests);
  const load = useConsole((s) => s.loadRenewalRequests);
  useEffect(() => { void load(); }, [load]);
  const pending = requests.value?.filter((r) => r.status === 'pending') ?? [];
  return (
    <div>
      <section className="card" aria-labelledby="q-pending">
        <h2 id="q-pending">Pending renewal requests</h2>
        <ErrorBanner error={requests.error} />
        {requests.value && pending.length === 0 && <p>No pending renewal request. Hosts send them in renewal-request bundles (Import).</p>}
        {pending.length > 0 && (
          <table aria-label="Pending renewal requests">
            <thead><tr><th scope="col">Received</th><th scope="col">Host</th><th scope="col">Subject</th><th scope="col">Profile</th><th scope="col">Reason</th><th scope="col">Proof</th></tr></thead>
            <tbody>{pending.map((r) => <tr key={`${r.bundleId}/${r.requestId}`}><td>{fmtDate(r.receivedAt)}</td><td>{r.host}</td><td>{r.subject}</td><td>{r.profile}</td><td>{r.reason}</td><td>{r.proofKind}</td></tr>)}</tbody>
          </table>
        )}
        <p className="muted">Until the action queue lands, answer them from a terminal: coldroot bundle signer create (once), then coldroot bundle export renewal (see coldroot bundle export renewal --help).</p>
      </section>
      <ComingWith issue={6} what="Approve or reject actions, batch-sign with a progress bar, export the renewal bundle to a chosen folder" />
    </div>
  );
}
