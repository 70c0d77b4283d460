import { useId, useState } from 'react';
import type { MetricSeries } from '../store/risk-slice.js';
import { fmtDate } from './common.js';

type Point = MetricSeries['points'][number];
type MetricKey = 'handshakes' | 'failurePct' | 'p95Ms' | 'cpuPct' | 'newClients';

export const METRICS: ReadonlyArray<{ key: MetricKey; label: string; unit: string }> = [
  { key: 'failurePct', label: 'Failed handshakes', unit: '%' },
  { key: 'handshakes', label: 'Handshakes', unit: 'per hour' },
  { key: 'p95Ms', label: 'Handshake time p95', unit: 'ms' },
  { key: 'newClients', label: 'New client IPs', unit: 'per hour' },
  { key: 'cpuPct', label: 'CPU', unit: '%' },
];

const W = 720;
const H = 200;
// The right pad holds half of the last day's label, which is centred on its tick.
const PAD = { left: 52, right: 28, top: 12, bottom: 28 };

const niceMax = (v: number) => {
  if (v <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((m) => m >= v)!;
};

/**
 * A small inline SVG line chart of one hourly metric, with the detectors' anomalous hours marked,
 * and the same numbers as a table for screen readers and for copying (no chart library: the
 * renderer stays dependency-free here).
 */
export function MetricChart({ series }: { series: MetricSeries }) {
  const [metric, setMetric] = useState<MetricKey>('failurePct');
  const id = useId();
  const def = METRICS.find((m) => m.key === metric)!;
  const from = Date.parse(series.from);
  const to = Date.parse(series.to);
  const anomalous = new Map<string, MetricSeries['anomalies']>();
  for (const a of series.anomalies) anomalous.set(a.t, [...(anomalous.get(a.t) ?? []), a]);
  const values = series.points.map((p) => p[metric]).filter((v): v is number => v !== null);
  const top = niceMax(values.length ? Math.max(...values) : 0);
  const x = (t: number) => PAD.left + ((t - from) / Math.max(1, to - from)) * (W - PAD.left - PAD.right);
  const y = (v: number) => H - PAD.bottom - (v / top) * (H - PAD.top - PAD.bottom);
  const path = series.points.filter((p) => p[metric] !== null).map((p, i) => `${i ? 'L' : 'M'}${x(Date.parse(p.t)).toFixed(1)},${y(p[metric]!).toFixed(1)}`).join(' ');
  const marked = series.points.filter((p) => anomalous.has(p.t));
  const days: number[] = [];
  for (let d = Math.ceil(from / 86_400_000) * 86_400_000; d <= to; d += 86_400_000) days.push(d);
  const step = Math.max(1, Math.ceil(days.length / 8));
  const summary = `${def.label} (${def.unit}) per hour from ${fmtDate(series.from)} to ${fmtDate(series.to)}: ${series.points.length} hours, highest ${values.length ? Math.max(...values) : 0}; ${marked.length} anomalous hour${marked.length === 1 ? '' : 's'} marked${series.modelVersion ? ` by model v${series.modelVersion}` : ''}.`;
  return (
    <div>
      <div className="field" style={{ maxWidth: 280 }}>
        <label htmlFor={`${id}-metric`}>Metric</label>
        <select id={`${id}-metric`} value={metric} onChange={(e) => setMetric(e.target.value as MetricKey)}>{METRICS.map((m) => <option key={m.key} value={m.key}>{m.label} ({m.unit})</option>)}</select>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} width="100%" role="img" aria-label={summary} style={{ maxWidth: W, display: 'block' }}>
        <title>{summary}</title>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={PAD.left} x2={W - PAD.right} y1={y(top * f)} y2={y(top * f)} stroke="#d5dae0" />
            <text x={PAD.left - 6} y={y(top * f) + 4} textAnchor="end" fontSize="11" fill="#4a5563">{+(top * f).toPrecision(3)}</text>
          </g>
        ))}
        {days.filter((_, i) => i % step === 0).map((d) => (
          <text key={d} x={x(d)} y={H - 8} textAnchor="middle" fontSize="11" fill="#4a5563">{new Date(d).toISOString().slice(5, 10)}</text>
        ))}
        {marked.map((p) => <rect key={`band-${p.t}`} x={x(Date.parse(p.t))} y={PAD.top} width={Math.max(2, x(Date.parse(p.t) + 3_600_000) - x(Date.parse(p.t)))} height={H - PAD.top - PAD.bottom} fill="#f3c1c1" opacity="0.6" />)}
        <path d={path} fill="none" stroke="#1f5fa8" strokeWidth="1.6" />
        {marked.filter((p) => p[metric] !== null).map((p) => (
          <circle key={p.t} cx={x(Date.parse(p.t))} cy={y(p[metric]!)} r="3.5" fill="#a11a1a" data-anomaly={p.t}>
            <title>{`${fmtDate(p.t)}: anomaly (${anomalous.get(p.t)!.map((a) => `${a.detector}${a.feature ? `, ${a.feature}` : ''}, z ${a.z}`).join('; ')})`}</title>
          </circle>
        ))}
      </svg>
      <p className="muted">{summary}{marked.length ? ' Red bands and dots are the hours the detectors alarmed on.' : ''}</p>
      <details>
        <summary>Show the data as a table</summary>
        <DataTable points={series.points} anomalous={anomalous} />
      </details>
    </div>
  );
}

function DataTable({ points, anomalous }: { points: Point[]; anomalous: Map<string, MetricSeries['anomalies']> }) {
  return (
    <div style={{ maxHeight: 320, overflow: 'auto' }} tabIndex={0} role="region" aria-label="Hourly metrics">
      <table aria-label="Hourly metrics and anomalies">
        <thead><tr><th scope="col">Hour (UTC)</th>{METRICS.map((m) => <th key={m.key} scope="col">{m.label} ({m.unit})</th>)}<th scope="col">Anomaly</th></tr></thead>
        <tbody>
          {points.map((p) => (
            <tr key={p.t}>
              <td className="mono">{fmtDate(p.t)}</td>
              {METRICS.map((m) => <td key={m.key}>{p[m.key] ?? '—'}</td>)}
              <td>{anomalous.get(p.t)?.map((a) => `${a.detector}${a.feature ? ` (${a.feature}, z ${a.z})` : ''}`).join('; ') ?? ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
