import { useEffect } from 'react';
import { Busy, ErrorBanner, fmtDate, fmtDay, fmtInt } from '../components/common.js';
import { useConsole } from '../store/use-console.js';

export function OverviewScreen() {
  const overview = useConsole((s) => s.overview);
  const load = useConsole((s) => s.loadOverview);
  const go = useConsole((s) => s.go);
  const setFilter = useConsole((s) => s.setCertFilter);
  useEffect(() => { void load(); }, [load]);
  const o = overview.value;
  if (!o) return overview.error ? <ErrorBanner error={overview.error} /> : <Busy label="Reading the home" />;
  const showCertificates = (patch: Parameters<typeof setFilter>[0]) => { void setFilter(patch); go('certificates'); };
  return (
    <div className="overview">
      <ErrorBanner error={overview.error} />
      <div className="stats" role="list" aria-label="Inventory">
        {([['Certificates', o.certificates.total, {}], ['Valid', o.certificates.valid, { state: 'valid' }], ['Expiring in 30 days', o.certificates.expiringIn30Days, { state: 'valid', expiresBefore: new Date(Date.parse(o.asOf) + 30 * 86_400_000).toISOString() }],
          ['Expired', o.certificates.expired, { state: 'expired' }], ['Revoked', o.certificates.revoked, { state: 'revoked' }]] as const).map(([label, n, f]) => (
          <button type="button" role="listitem" key={label} className="stat" onClick={() => showCertificates(f)}><span className="n">{fmtInt(n)}</span><span>{label}</span></button>
        ))}
      </div>
      <div className="grid2">
        <section className="card" aria-labelledby="ov-cas">
          <h2 id="ov-cas">Certificate authorities</h2>
          {o.cas.length === 0 ? <p>No CA yet. <button type="button" className="link" onClick={() => go('cas')}>Create one</button></p> : (
            <table>
              <thead><tr><th scope="col">CA</th><th scope="col">Key</th><th scope="col">Expires</th><th scope="col">CRL</th><th scope="col">Health</th></tr></thead>
              <tbody>
                {o.cas.map((c) => (
                  <tr key={c.id}>
                    <td><strong>{c.id}</strong><br /><small>{c.kind}</small></td>
                    <td>{c.keyStorage === 'pkcs11' ? `HSM ${c.tokenPresent ? '(reachable)' : '(not reachable)'}` : 'software'}</td>
                    <td className="date">{fmtDay(c.notAfter)}</td>
                    <td>{c.lastCrl ? `#${c.lastCrl.number}, next ${fmtDay(c.lastCrl.nextUpdate)}` : 'none'}</td>
                    <td>{c.warnings.length ? <ul className="warnings">{c.warnings.map((w) => <li key={w}>{w}</li>)}</ul> : <span className="badge badge-valid">ok</span>}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )}
        </section>
        <section className="card" aria-labelledby="ov-expiring">
          <h2 id="ov-expiring">Expiring next</h2>
          {o.expiringSoon.length === 0 ? <p>Nothing valid to expire.</p> : (
            <table>
              <thead><tr><th scope="col">Subject</th><th scope="col">Profile</th><th scope="col">Not after</th></tr></thead>
              <tbody>{o.expiringSoon.map((c) => <tr key={`${c.caId}/${c.serial}`}><td>{c.subject}</td><td>{c.profile}</td><td className="date">{fmtDate(c.notAfter)}</td></tr>)}</tbody>
            </table>
          )}
        </section>
        <section className="card" aria-labelledby="ov-risk">
          <h2 id="ov-risk">Fleet risk at a glance</h2>
          {o.scores.newestModel === null ? <p>No certificate scored yet: train a model and score the fleet on the Risk screen.</p> : (
            <p>{fmtInt(o.scores.certificates)} certificates on {fmtInt(o.scores.hosts)} hosts scored (model v{o.scores.newestModel}, {fmtDate(o.scores.scoredAt)}): <strong>{fmtInt(o.scores.critical)}</strong> critical, <strong>{fmtInt(o.scores.high)}</strong> high.</p>
          )}
          <p>The hosts' agents' own latest reports: {fmtInt(o.risk.reports)} from {fmtInt(o.risk.hosts)} hosts, <strong>{fmtInt(o.risk.critical)}</strong> critical, <strong>{fmtInt(o.risk.high)}</strong> high.</p>
          <p>
            <button type="button" className="link" onClick={() => go('risk')}>Open the Risk screen</button>{' · '}
            <button type="button" className="link" onClick={() => showCertificates({ risk: 'high' })}>Show certificates at high risk or above</button>
          </p>
        </section>
        <section className="card" aria-labelledby="ov-queue">
          <h2 id="ov-queue">Action queue</h2>
          <p>Risk actions: <strong>{fmtInt(o.actions.pending)}</strong> waiting for a decision, {fmtInt(o.actions.approved)} approved.</p>
          <p>Renewal requests received: <strong>{fmtInt(o.renewalRequests.pending)}</strong> pending, {fmtInt(o.renewalRequests.issued)} issued, {fmtInt(o.renewalRequests.rejected)} rejected.</p>
          <button type="button" className="link" onClick={() => go('queue')}>Open the queue</button>
        </section>
      </div>
      <section className="card" aria-labelledby="ov-imports">
        <h2 id="ov-imports">Recent bundles</h2>
        {o.recentImports.length === 0 ? <p>No bundle imported or exported yet.</p> : (
          <table>
            <thead><tr><th scope="col">Processed</th><th scope="col">Direction</th><th scope="col">Type</th><th scope="col">Producer</th><th scope="col">Seq.</th><th scope="col">Records</th></tr></thead>
            <tbody>{o.recentImports.map((b) => <tr key={b.bundleId}><td className="date">{fmtDate(b.processedAt)}</td><td>{b.direction}</td><td>{b.type}</td><td>{b.producerSubject}</td><td>{b.sequence}</td><td>{fmtInt(b.records)}</td></tr>)}</tbody>
          </table>
        )}
      </section>
      <p className="muted">Audit trail: {fmtInt(o.audit.entries)} entries, last at {fmtDate(o.audit.lastAt)}.</p>
    </div>
  );
}
