import type { Database } from 'better-sqlite3';
import type { MetricSample } from '../../bundles/payloads/metrics-schema.js';
import { countMapText } from './hourly-features.js';

/**
 * Writes metric samples straight into metric_samples, under a placeholder bundle row named
 * `label`, bypassing bundle verification. For benchmarks and tests that need millions of rows
 * fast; the console's only real way in is the bundle import.
 */
export function insertSamplesDirect(db: Database, label: string, samples: Iterable<MetricSample>): number {
  const bundle = Number(db.prepare(`INSERT INTO bundles (bundle_id, direction, type, format_version, producer_sha256, producer_subject, sequence, created_at, manifest, manifest_sha256, signature, processed_at, operator)
    VALUES (?, 'import', 'metrics', 1, ?, ?, 1, '1970-01-01T00:00:00Z', x'', '', x'', '1970-01-01T00:00:00Z', 'direct')`).run(label, `direct:${label}`, `CN=${label}`).lastInsertRowid);
  const series = new Map<string, number>();
  const seriesId = (host: string, cert: string): number => {
    const key = `${host}\0${cert}`;
    let id = series.get(key);
    if (id === undefined) {
      db.prepare('INSERT INTO metric_series (host, cert_sha256) VALUES (?, ?) ON CONFLICT DO NOTHING').run(host, cert);
      id = db.prepare('SELECT id FROM metric_series WHERE host = ? AND cert_sha256 = ?').pluck().get(host, cert) as number;
      series.set(key, id);
    }
    return id;
  };
  const insert = db.prepare('INSERT INTO metric_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  let n = 0;
  for (const s of samples) {
    insert.run(seriesId(s.host, s.cert), bundle, Date.parse(s.t) / 1000, s.interval_s, s.hs_attempted, s.hs_succeeded, s.hs_failed, countMapText(s.hs_failed_by),
      s.hs_p50_ms, s.hs_p95_ms, countMapText(s.protocols), countMapText(s.ciphers), s.client_ips_distinct, s.client_ips_new, s.cpu_pct, s.mem_pct,
      s.net_rx_bytes, s.net_tx_bytes, countMapText(s.cert_validation_errors), s.client_nets_distinct ?? null, s.client_nets_new ?? null);
    n++;
  }
  return n;
}
