import { createReadStream, rmSync, statSync } from 'node:fs';
import { MetricsFileWriter } from '../core/bundles/payloads/metrics-writer.ts';
import { readMetrics } from '../core/bundles/payloads/metrics-reader.ts';
import { DEFAULT_LIMITS } from '../core/bundles/bundle-format.ts';
const N = 300_000;
for (const fmt of ['ndjson', 'csv'] as const) {
  const p = `/tmp/b4/m.${fmt}.gz`; rmSync(p, { force: true });
  const w = new MetricsFileWriter(p, fmt);
  let t0 = performance.now();
  for (let i = 0; i < N; i++) {
    const att = 1000 + (i % 37);
    await w.write({ host: `web-${String(i % 100).padStart(4, '0')}.fleet.example`, cert: 'ab'.repeat(32), t: new Date(Date.UTC(2026, 0, 5) + Math.floor(i / 100) * 300000).toISOString().slice(0, 19) + 'Z', interval_s: 300,
      hs_attempted: att, hs_succeeded: att - 10, hs_failed: 10, hs_failed_by: { 'alert:bad_certificate': 4, 'error:timeout': 6 }, hs_p50_ms: 12.5 + (i % 5), hs_p95_ms: 48.25 + (i % 9),
      protocols: { 'TLSv1.3': att - 200, 'TLSv1.2': 190 }, ciphers: { TLS_AES_128_GCM_SHA256: att - 300, TLS_AES_256_GCM_SHA384: 100, 'ECDHE-RSA-AES128-GCM-SHA256': 190 },
      client_ips_distinct: 321 + (i % 11), client_ips_new: 12, cpu_pct: 23.5 + (i % 50), mem_pct: 61.2, net_rx_bytes: 12345678 + i, net_tx_bytes: 87654321 + i, cert_validation_errors: { unknown_ca: i % 3 } });
  }
  await w.close();
  console.log(fmt, 'write', ((performance.now() - t0) / 1000).toFixed(2), 's', statSync(p).size, 'bytes');
  t0 = performance.now();
  let n = 0;
  const rec = await readMetrics(createReadStream(p, { highWaterMark: 1 << 20 }), { name: 'x', format: fmt, limits: DEFAULT_LIMITS, onRow: () => { n++; } });
  const s = (performance.now() - t0) / 1000;
  console.log(fmt, 'read', rec, n, s.toFixed(2), 's', Math.round(N / s), 'rows/s');
}
