import type { CountMap, MetricSample } from '../../../../core/bundles/payloads/metrics-fields.js';
import type { ProbeResult } from './tls-probe.js';

/** The handshake fields of a metrics sample (docs/metrics-format.md). */
export type HandshakeSummary = Pick<MetricSample, 'hs_attempted' | 'hs_succeeded' | 'hs_failed' | 'hs_failed_by' | 'hs_p50_ms' | 'hs_p95_ms' | 'protocols' | 'ciphers'>;

/** Nearest-rank percentile of sorted values (p in 0..100). */
export function percentile(sorted: readonly number[], p: number): number {
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1];
}

/** A count-map key: at most 64 characters of [A-Za-z0-9_.:/+-], starting with a letter or digit. */
export function mapKey(text: string): string {
  const k = text.replace(/[^A-Za-z0-9_.:/+-]+/g, '_').replace(/^[^A-Za-z0-9]+/, '').slice(0, 64);
  return k === '' ? 'unknown' : k;
}

/** Adds to a count map that holds at most 64 names; the 64th and later names count under 'other'. */
export function addCount(m: CountMap, name: string, n = 1): void {
  const k = mapKey(name);
  if (k in m || Object.keys(m).length < 63) m[k] = (m[k] ?? 0) + n;
  else m.other = (m.other ?? 0) + n;
}

export function summarizeHandshakes(results: readonly ProbeResult[]): HandshakeSummary {
  const s: HandshakeSummary = { hs_attempted: results.length, hs_succeeded: 0, hs_failed: 0, hs_failed_by: {}, hs_p50_ms: null, hs_p95_ms: null, protocols: {}, ciphers: {} };
  const ms: number[] = [];
  for (const r of results) {
    if (r.ok) {
      s.hs_succeeded++;
      ms.push(r.handshakeMs);
      addCount(s.protocols, r.protocol);
      addCount(s.ciphers, r.cipher);
    } else {
      s.hs_failed++;
      addCount(s.hs_failed_by, r.failure);
    }
  }
  if (ms.length > 0) {
    ms.sort((a, b) => a - b);
    s.hs_p50_ms = percentile(ms, 50);
    s.hs_p95_ms = percentile(ms, 95);
  }
  return s;
}
