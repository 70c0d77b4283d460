import { mkdtempSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import { ConsoleService } from '../core/api/console-service.ts';
import { generateSoftwareKey } from '../core/keys/software-key-store.ts';
import { buildCsr } from '../core/x509/csr-builder.ts';
import { fromPemOrDer } from '../core/x509/asn1.ts';
import { MetricsFileWriter } from '../core/bundles/payloads/metrics-writer.ts';
import { writeBundle } from '../core/bundles/bundle-writer.ts';
import { importBundle } from '../core/bundles/bundle-import.ts';
import { bundles } from '../core/store/migrations/003-bundles.ts';
const N = Number(process.argv[3] ?? 300000); const fmt = (process.argv[2] ?? 'csv') as 'csv' | 'ndjson';
const dir = mkdtempSync('/tmp/b4/imp-');
const svc = ConsoleService.open({ home: dir + '/home', operator: 't', create: true });
svc.initialize();
const key = { kind: 'software' as const, passphrase: 'correct horse battery' };
const root = await svc.createRootCa({ name: 'CN=T Root', algorithm: 'ecdsa-p256', key });
const signer = generateSoftwareKey(dir, 'dev1', 'ecdsa-p256', key.passphrase);
const c = await svc.issueCertificate({ caId: root.id, secret: { passphrase: key.passphrase }, profile: 'device-management', csr: await buildCsr(signer, 'CN=dev1') });
const identity = { signer, certificate: fromPemOrDer(c.certificatePem, ['CERTIFICATE'])[0], chain: [] };
const w = new MetricsFileWriter(dir + `/metrics.${fmt}.gz`, fmt);
const sample = (i: number) => { const att = 1000 + (i % 37); return { host: `web-${String(i % 100).padStart(4, '0')}.fleet.example`, cert: 'ab'.repeat(32), t: new Date(Date.UTC(2026, 0, 5) + Math.floor(i / 100) * 300000).toISOString().slice(0, 19) + 'Z', interval_s: 300,
      hs_attempted: att, hs_succeeded: att - 10, hs_failed: 10, hs_failed_by: { 'alert:bad_certificate': 4, 'error:timeout': 6 }, hs_p50_ms: 12.5 + (i % 5), hs_p95_ms: 48.25 + (i % 9),
      protocols: { 'TLSv1.3': att - 200, 'TLSv1.2': 190 }, ciphers: { TLS_AES_128_GCM_SHA256: att - 300, TLS_AES_256_GCM_SHA384: 100, 'ECDHE-RSA-AES128-GCM-SHA256': 190 },
      client_ips_distinct: 321 + (i % 11), client_ips_new: 12, cpu_pct: 23.5 + (i % 50), mem_pct: 61.2, net_rx_bytes: 12345678 + i, net_tx_bytes: 87654321 + i, cert_validation_errors: { unknown_ca: i % 3 } }; };
for (let i = 0; i < N; i++) await w.write(sample(i));
const { records } = await w.close();
await writeBundle(dir + '/b.tar', { type: 'metrics', identity, sequence: 1, createdAt: new Date(), files: [{ name: `metrics.${fmt}.gz`, path: dir + `/metrics.${fmt}.gz`, schema: 'coldroot.metrics.v1', records }] });
// raw
const raw = new Database(dir + '/raw.db'); raw.pragma('journal_mode = WAL'); raw.pragma('synchronous = FULL'); raw.pragma('foreign_keys = ON');
raw.exec(`CREATE TABLE cas (id TEXT PRIMARY KEY); CREATE TABLE certificates (ca_id TEXT, serial TEXT, PRIMARY KEY (ca_id, serial));` + bundles.sql);
raw.prepare("INSERT INTO bundles (bundle_id, direction, type, format_version, producer_sha256, producer_subject, sequence, created_at, manifest, manifest_sha256, signature, processed_at, operator) VALUES ('x','import','metrics',1,'p','s',1,'t',x'00','m',x'00','t','o')").run();
for (let h = 0; h < 100; h++) raw.prepare('INSERT INTO metric_series (host, cert_sha256) VALUES (?, ?)').run(`web-${h}`, 'ab'.repeat(32));
const pool = Array.from({ length: 1000 }, (_, i) => { const s = sample(i); return [0, 1, 0, 300, s.hs_attempted, s.hs_succeeded, s.hs_failed, JSON.stringify(s.hs_failed_by), s.hs_p50_ms, s.hs_p95_ms, JSON.stringify(s.protocols), JSON.stringify(s.ciphers), s.client_ips_distinct, s.client_ips_new, s.cpu_pct, s.mem_pct, s.net_rx_bytes, s.net_tx_bytes, JSON.stringify(s.cert_validation_errors)]; });
const ins = raw.prepare('INSERT INTO metric_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
let t0 = performance.now();
raw.transaction(() => { for (let i = 0; i < N; i++) { const r = pool[i % 1000]; r[0] = 1 + (i % 100); r[2] = 1767571200 + Math.floor(i / 100) * 300; ins.run(r); } })();
const rawS = (performance.now() - t0) / 1000; raw.close();
t0 = performance.now();
const out = await importBundle(svc.ctx, dir + '/b.tar', { parallel: (process.argv[4] ?? 'never') as any });
const impS = (performance.now() - t0) / 1000;
console.log(fmt, out.status, 'raw', Math.round(N / rawS), 'import', Math.round(N / impS), 'ratio', (rawS / impS).toFixed(2), 'rss MiB', Math.round(process.memoryUsage().rss / 2 ** 20));
svc.close(); rmSync(dir, { recursive: true });
