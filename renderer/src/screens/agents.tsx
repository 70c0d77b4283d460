import { useEffect } from 'react';
import { ComingWith, ErrorBanner, fmtInt } from '../components/common.js';
import { useConsole } from '../store/use-console.js';

export function AgentsScreen() {
  const requests = useConsole((s) => s.renewalRequests);
  const load = useConsole((s) => s.loadRenewalRequests);
  useEffect(() => { void load(); }, [load]);
  const byHost = new Map<string, { pending: number; issued: number; rejected: number }>();
  for (const r of requests.value ?? []) {
    const c = byHost.get(r.host) ?? { pending: 0, issued: 0, rejected: 0 };
    c[r.status]++;
    byHost.set(r.host, c);
  }
  const totals = [...byHost.values()].reduce((a, c) => ({ pending: a.pending + c.pending, issued: a.issued + c.issued, rejected: a.rejected + c.rejected }), { pending: 0, issued: 0, rejected: 0 });
  return (
    <div>
      <section className="card" aria-labelledby="ag-counters">
        <h2 id="ag-counters">Renewal request counters</h2>
        <ErrorBanner error={requests.error} />
        <p>{fmtInt(byHost.size)} hosts asked: {fmtInt(totals.pending)} pending, {fmtInt(totals.issued)} issued, {fmtInt(totals.rejected)} rejected.</p>
        {byHost.size > 0 && (
          <table aria-label="Renewal requests per host">
            <thead><tr><th scope="col">Host</th><th scope="col">Pending</th><th scope="col">Issued</th><th scope="col">Rejected</th></tr></thead>
            <tbody>{[...byHost.entries()].sort().map(([host, c]) => <tr key={host}><td>{host}</td><td>{c.pending}</td><td>{c.issued}</td><td>{c.rejected}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      <ComingWith issue={5} what="Generate agent packages (signed agent-package bundles and their installers)" />
    </div>
  );
}
