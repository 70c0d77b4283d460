import { useEffect, useState } from 'react';
import { Busy, ErrorBanner, Field, fmtDate, fmtDay, fmtInt, Notice, Progress } from '../components/common.js';
import { MetricChart } from '../components/metric-chart.js';
import { useConsole } from '../store/use-console.js';
import type { ModelVersion, RiskExplanation, RiskListRow, RiskQuery } from '../store/risk-slice.js';

const short = (sha: string | null) => (sha ? `${sha.slice(0, 12)}…` : '');
const LEVELS = ['critical', 'high', 'medium', 'low'] as const;

function LevelBadge({ level }: { level: string }) {
  return <span className={`badge risk-${level}`}>{level}</span>;
}

/** Model versions, and the two runs an operator starts here: train a new version, score the fleet. */
function ModelsCard() {
  const models = useConsole((s) => s.models);
  const load = useConsole((s) => s.loadModels);
  const run = useConsole((s) => s.riskRun);
  const train = useConsole((s) => s.trainModel);
  const score = useConsole((s) => s.scoreRisk);
  const [windowDays, setWindowDays] = useState('28');
  const [windowHours, setWindowHours] = useState('24');
  useEffect(() => { void load(); }, [load]);
  const list = models.value ?? [];
  return (
    <section className="card" aria-labelledby="risk-models">
      <h2 id="risk-models">Risk models</h2>
      <ErrorBanner error={models.error} />
      {models.value && list.length === 0 && <p>No model trained yet. Train one on the imported metrics (at least 14 days), then score the fleet.</p>}
      {list.length > 0 && (
        <table aria-label="Model versions">
          <thead><tr><th scope="col">Version</th><th scope="col">Trained</th><th scope="col">Training window</th><th scope="col">Forest</th><th scope="col">Holdout alarms</th><th scope="col">Data SHA-256</th></tr></thead>
          <tbody>{list.map((m) => (
            <tr key={m.id}>
              <td>v{m.id}{m.id === list[0].id ? ' (newest, used to score)' : ''}</td>
              <td>{fmtDate(m.createdAt)} by {m.createdBy}</td>
              <td>{fmtDay(m.windowStart)} to {fmtDay(m.windowEnd)}; {m.evaluation.series} series</td>
              <td>{m.params.nTrees} trees × {m.params.maxSamples} rows, seed {m.params.seed}</td>
              <td>{m.evaluation.statAlarmsPer1000HostDays.toFixed(2)} per 1,000 host-days</td>
              <td className="mono" title={m.dataSha256}>{short(m.dataSha256)}</td>
            </tr>
          ))}</tbody>
        </table>
      )}
      <div className="grid2">
        <form aria-label="Train a model" onSubmit={(e) => { e.preventDefault(); void train({ windowDays: Number(windowDays) }); }}>
          <Field id="risk-train-days" label="Training window (days, 14 to 365)">
            <input id="risk-train-days" type="number" min={14} max={365} value={windowDays} onChange={(e) => setWindowDays(e.target.value)} />
          </Field>
          <button type="submit" disabled={run.kind !== null}>Train a new model</button>
        </form>
        <form aria-label="Score the fleet" onSubmit={(e) => { e.preventDefault(); void score({ windowHours: Number(windowHours) }); }}>
          <Field id="risk-score-hours" label="Scored period (hours up to the newest metrics)">
            <input id="risk-score-hours" type="number" min={1} max={744} value={windowHours} onChange={(e) => setWindowHours(e.target.value)} />
          </Field>
          <button type="submit" className="primary" disabled={run.kind !== null || list.length === 0}>Score now</button>
        </form>
      </div>
      {run.kind && (run.progress ? <Progress {...run.progress} /> : <Busy label={run.kind === 'train' ? 'Training the model' : 'Scoring every host and certificate'} />)}
      {run.done && <Notice kind="ok">{run.done}</Notice>}
      <ErrorBanner error={run.error} />
    </section>
  );
}

function SortHeader({ label, sort, query, onSort }: { label: string; sort: NonNullable<RiskQuery['sort']>; query: RiskQuery; onSort: (s: NonNullable<RiskQuery['sort']>) => void }) {
  const active = query.sort === sort;
  return (
    <th scope="col" aria-sort={active ? (query.order === 'asc' ? 'ascending' : 'descending') : 'none'}>
      <button type="button" className="link" onClick={() => onSort(sort)}>{label}{active ? (query.order === 'asc' ? ' ▲' : ' ▼') : ''}</button>
    </th>
  );
}

function RiskTable() {
  const page = useConsole((s) => s.riskPage);
  const query = useConsole((s) => s.riskQuery);
  const load = useConsole((s) => s.loadRisk);
  const select = useConsole((s) => s.selectRisk);
  const selected = useConsole((s) => s.riskSelection);
  const [search, setSearch] = useState('');
  useEffect(() => { void load(); }, [load]);
  const onSort = (sort: NonNullable<RiskQuery['sort']>) => void load({ sort, order: query.sort === sort && query.order === 'desc' ? 'asc' : 'desc' });
  const rows = page.value?.rows ?? [];
  const total = page.value?.total ?? 0;
  const offset = query.offset ?? 0;
  const limit = query.limit ?? 50;
  const isSelected = (r: RiskListRow) => selected?.host === r.host && selected.certSha256 === r.certSha256;
  return (
    <section className="card" aria-labelledby="risk-table">
      <h2 id="risk-table">Risk by {query.subject === 'host' ? 'host' : 'certificate'}</h2>
      <form className="actions" aria-label="Filter the risk table" onSubmit={(e) => { e.preventDefault(); void load({ search: search || undefined }); }}>
        <Field id="risk-subject" label="Show">
          <select id="risk-subject" value={query.subject} onChange={(e) => void load({ subject: e.target.value as 'host' | 'certificate' })}>
            <option value="certificate">Certificates</option><option value="host">Hosts</option>
          </select>
        </Field>
        <Field id="risk-level" label="Level">
          <select id="risk-level" value={query.levels?.length === 1 ? query.levels[0] : ''} onChange={(e) => void load({ levels: e.target.value ? [e.target.value as (typeof LEVELS)[number]] : undefined })}>
            <option value="">Any</option>{LEVELS.map((l) => <option key={l} value={l}>{l}</option>)}
          </select>
        </Field>
        <Field id="risk-search" label="Host, serial or fingerprint contains">
          <input id="risk-search" value={search} onChange={(e) => setSearch(e.target.value)} />
        </Field>
        <button type="submit">Search</button>
      </form>
      <ErrorBanner error={page.error} />
      {page.value && total === 0 && <p>No scores {query.search || query.levels ? 'match' : 'yet: train a model and score the fleet'}.</p>}
      {rows.length > 0 && (
        <table aria-label="Risk scores">
          <thead><tr>
            <SortHeader label={query.subject === 'host' ? 'Host' : 'Host and certificate'} sort="host" query={query} onSort={onSort} />
            <SortHeader label="Risk" sort="risk" query={query} onSort={onSort} />
            <th scope="col">Level</th>
            <SortHeader label="Last anomaly" sort="lastAnomaly" query={query} onSort={onSort} />
            <SortHeader label="Degradation" sort="degradation" query={query} onSort={onSort} />
            <SortHeader label="Predicted degradation" sort="predicted" query={query} onSort={onSort} />
            <th scope="col">Model</th>
            <th scope="col">Evidence</th>
          </tr></thead>
          <tbody>{rows.map((r) => (
            <tr key={`${r.host}/${r.certSha256 ?? ''}`} style={isSelected(r) ? { background: '#e8f0fa' } : undefined}>
              <td>{r.host}{r.certSha256 && <div className="muted">{r.certSubject ?? 'certificate'}{r.serial ? `, serial ${r.serial}` : ''} <span className="mono">{short(r.certSha256)}</span></div>}</td>
              <td>{r.riskScore}</td>
              <td><LevelBadge level={r.level} /></td>
              <td>{r.lastAnomalyAt ? fmtDate(r.lastAnomalyAt) : 'none'}{r.anomalyWindows ? ` (${r.anomalyWindows} h)` : ''}</td>
              <td>{r.degradationScore}</td>
              <td>{r.predictedDegradationAt ? fmtDay(r.predictedDegradationAt) : '—'}</td>
              <td>v{r.modelVersion}</td>
              <td><button type="button" aria-label={`Evidence for ${r.host}${r.serial ? ` serial ${r.serial}` : ''}`} onClick={() => void select({ host: r.host, certSha256: r.certSha256 })}>Evidence</button></td>
            </tr>
          ))}</tbody>
        </table>
      )}
      {total > 0 && (
        <div className="actions" aria-label="Pages">
          <span className="summary">{fmtInt(offset + 1)}–{fmtInt(Math.min(offset + limit, total))} of {fmtInt(total)}</span>
          <button type="button" disabled={offset === 0} onClick={() => void load({ offset: Math.max(0, offset - limit) })}>Previous page</button>
          <button type="button" disabled={offset + limit >= total} onClick={() => void load({ offset: offset + limit })}>Next page</button>
        </div>
      )}
    </section>
  );
}

function ModelLine({ models, version }: { models: ModelVersion[]; version: number }) {
  const m = models.find((v) => v.id === version);
  if (!m) return <>v{version}</>;
  return <>v{m.id}, trained {fmtDate(m.createdAt)} by {m.createdBy} on {fmtDay(m.windowStart)} to {fmtDay(m.windowEnd)} (data SHA-256 <span className="mono">{short(m.dataSha256)}</span>)</>;
}

function CertificateEvidence({ c, models }: { c: RiskExplanation['certificates'][number]; models: ModelVersion[] }) {
  const ev = c.evidence;
  return (
    <div>
      <h3>{ev.certificate ? `${ev.certificate.subject}, serial ${ev.certificate.serial} (CA ${ev.certificate.caId})` : `Certificate ${short(c.certSha256)}`}</h3>
      <table className="kv" aria-label={`Risk of ${c.host} ${short(c.certSha256)}`}>
        <tbody>
          <tr><th scope="row">Risk</th><td>{c.riskScore} <LevelBadge level={c.level} /> over {fmtDate(c.windowStart)} to {fmtDate(c.windowEnd)}</td></tr>
          <tr><th scope="row">Anomalous hours</th><td>{ev.anomalyWindows} of {ev.windows}{ev.firstAnomalyAt ? `, since ${fmtDate(ev.firstAnomalyAt)} (last ${fmtDate(ev.lastAnomalyAt)}, peak ${fmtDate(ev.peakAt)})` : ''}</td></tr>
          <tr><th scope="row">Statistical detector</th><td>peak z {ev.statistical.peakZ} against threshold {ev.statistical.threshold}{ev.statistical.feature ? ` (${ev.statistical.feature})` : ''}</td></tr>
          <tr><th scope="row">Isolation forest</th><td>peak score {ev.isolationForest.peakScore} against threshold {ev.isolationForest.threshold}</td></tr>
          <tr><th scope="row">Baselines</th><td>{ev.baselineDays} days of history, by hour of the week</td></tr>
          <tr><th scope="row">Predicted degradation</th><td>score {c.degradationScore}{c.predictedDegradationAt ? `, service predicted to degrade by ${fmtDay(c.predictedDegradationAt)}` : ', no date predicted'}</td></tr>
          <tr><th scope="row">Model</th><td><ModelLine models={models} version={c.modelVersion} /></td></tr>
        </tbody>
      </table>
      {ev.features.length > 0 && (
        <table aria-label="Features behind the score">
          <thead><tr><th scope="col">Feature</th><th scope="col">At the peak</th><th scope="col">Baseline expects</th><th scope="col">Distance (z)</th><th scope="col">Since</th></tr></thead>
          <tbody>{ev.features.map((f) => <tr key={f.feature}><td><strong>{f.feature}</strong><div className="muted">{f.description}</div></td><td>{+f.value.toPrecision(4)}</td><td>{+f.expected.toPrecision(4)}</td><td>{f.z}</td><td>{fmtDate(f.since)}</td></tr>)}</tbody>
        </table>
      )}
      {ev.degradation.length > 0 && (
        <table aria-label="Degradation factors">
          <thead><tr><th scope="col">Factor</th><th scope="col">Score</th><th scope="col">Predicted</th><th scope="col">Detail</th></tr></thead>
          <tbody>{ev.degradation.map((d) => <tr key={d.kind}><td>{d.kind}</td><td>{d.score}</td><td>{d.predictedAt ? fmtDay(d.predictedAt) : '—'}</td><td>{d.detail}</td></tr>)}</tbody>
        </table>
      )}
    </div>
  );
}

function DetailPane() {
  const selection = useConsole((s) => s.riskSelection);
  const detail = useConsole((s) => s.riskDetail);
  const series = useConsole((s) => s.metricSeries);
  const select = useConsole((s) => s.selectRisk);
  if (!selection) return null;
  const e = detail.value;
  return (
    <section className="card" aria-labelledby="risk-detail">
      <h2 id="risk-detail">Evidence: {selection.host}{selection.certSha256 ? ` ${short(selection.certSha256)}` : ''}</h2>
      <div className="actions"><button type="button" onClick={() => void select(null)}>Close the evidence</button></div>
      {detail.loading && <Busy label="Reading the scores and their evidence" />}
      <ErrorBanner error={detail.error} />
      {e?.host && !selection.certSha256 && <p>Host risk {e.host.riskScore} <LevelBadge level={e.host.level} />, the worst of its {e.host.evidence.certificates.length} certificate series; degradation {e.host.degradationScore}.</p>}
      {e?.certificates.map((c) => <CertificateEvidence key={c.certSha256} c={c} models={e.models} />)}
      {e && e.openActions.length > 0 && (
        <>
          <h3>Open actions</h3>
          <ul aria-label="Open actions">{e.openActions.map((a) => <li key={a.id}>#{a.id} {a.action} ({a.status}): {a.reason}</li>)}</ul>
        </>
      )}
      <h3>Hourly metrics</h3>
      {series.loading && <Busy label="Reading the hourly metrics" />}
      <ErrorBanner error={series.error} />
      {series.value && <MetricChart series={series.value} />}
    </section>
  );
}

function AgentReports() {
  const overview = useConsole((s) => s.overview.value);
  const load = useConsole((s) => s.loadOverview);
  const setFilter = useConsole((s) => s.setCertFilter);
  const go = useConsole((s) => s.go);
  useEffect(() => { void load(); }, [load]);
  const show = (risk: 'medium' | 'high' | 'critical') => { void setFilter({ risk }); go('certificates'); };
  return (
    <section className="card" aria-labelledby="risk-agent">
      <h2 id="risk-agent">Risk reported by the hosts' agents</h2>
      <p>{fmtInt(overview?.risk.reports)} latest reports from {fmtInt(overview?.risk.hosts)} hosts: <strong>{fmtInt(overview?.risk.critical)}</strong> critical, <strong>{fmtInt(overview?.risk.high)}</strong> high. Each certificate's latest level and score shows in the Certificates table.</p>
      <div className="actions">
        <button type="button" onClick={() => show('critical')}>Certificates at critical risk</button>
        <button type="button" onClick={() => show('high')}>At high risk or above</button>
        <button type="button" onClick={() => show('medium')}>At medium risk or above</button>
      </div>
    </section>
  );
}

/** Console-side risk: model versions, scores by certificate or host, the evidence and metrics behind one. */
export function RiskScreen() {
  return (
    <div>
      <ModelsCard />
      <RiskTable />
      <DetailPane />
      <AgentReports />
    </div>
  );
}
