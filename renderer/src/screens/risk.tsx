import { useEffect } from 'react';
import { ComingWith, fmtInt } from '../components/common.js';
import { useConsole } from '../store/use-console.js';

/** What exists now: risk reports the hosts' agents sent in bundles. Console-side models arrive with issue 6. */
export function RiskScreen() {
  const overview = useConsole((s) => s.overview.value);
  const load = useConsole((s) => s.loadOverview);
  const setFilter = useConsole((s) => s.setCertFilter);
  const go = useConsole((s) => s.go);
  useEffect(() => { void load(); }, [load]);
  const show = (risk: 'medium' | 'high' | 'critical') => { void setFilter({ risk }); go('certificates'); };
  return (
    <div>
      <section className="card" aria-labelledby="risk-agent">
        <h2 id="risk-agent">Risk reported by the hosts' agents</h2>
        <p>{fmtInt(overview?.risk.reports)} latest reports from {fmtInt(overview?.risk.hosts)} hosts: <strong>{fmtInt(overview?.risk.critical)}</strong> critical, <strong>{fmtInt(overview?.risk.high)}</strong> high. Each certificate's latest level and score shows in the Certificates table.</p>
        <div className="actions">
          <button type="button" onClick={() => show('critical')}>Certificates at critical risk</button>
          <button type="button" onClick={() => show('high')}>At high risk or above</button>
          <button type="button" onClick={() => show('medium')}>At medium risk or above</button>
        </div>
      </section>
      <ComingWith issue={6} what="Console risk scores, metric time series with anomaly markers, evidence, predicted degradation and model versions" />
    </div>
  );
}
