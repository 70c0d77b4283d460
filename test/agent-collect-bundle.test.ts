import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gunzipSync, gzipSync } from 'node:zlib';
import { CollectConfigSchema, type CollectConfig } from '../agent-bundle/src/agent/collect/collect-config.js';
import { collectOnce, writeMetricsBundle, writeRiskReportBundle } from '../agent-bundle/src/agent/collect/collect-once.js';
import { collectStatePath } from '../agent-bundle/src/agent/collect/collect-state.js';
import { scoreLocally, type RiskHistory } from '../agent-bundle/src/agent/collect/local-risk.js';
import { PROC_FIRST, PROC_SECOND, writeFakeProc } from '../agent-bundle/src/agent/collect/testing/fake-proc.js';
import { TlsFixture } from '../agent-bundle/src/agent/collect/testing/tls-fixture.js';
import { StateLayout } from '../agent-bundle/src/agent/state/state-layout.js';
import { LOG_EXCERPTS_FILE, LOG_EXCERPTS_SCHEMA_V1 } from '../core/bundles/payloads/log-excerpts.js';
import { METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1 } from '../core/bundles/payloads/metrics-schema.js';
import { ndjsonLine } from '../core/bundles/payloads/metrics-writer.js';
import { makeBundleTestKit, TEST_START, writeTestBundle, type BundleTestKit, type TestDevice } from '../core/bundles/testing/bundle-test-kit.js';

const HOST = 'edge-01.fleet.example';
const CERT = 'ab'.repeat(32);
const at = (minutes: number) => new Date(TEST_START.getTime() + minutes * 60_000);
const fixtureLog = (name: string) => readFileSync(new URL(`../fixtures/logs/${name}`, import.meta.url), 'utf8');

let kit: BundleTestKit;
let device: TestDevice;
let tls: TlsFixture;
let work: string;
let layout: StateLayout;
let procRoot: string;
let config: CollectConfig;
const nginxLog = () => join(work, 'logs', 'nginx.log');
const haproxyLog = () => join(work, 'logs', 'haproxy.log');

before(async () => {
  kit = await makeBundleTestKit('coldroot-agent-collect-');
  device = await kit.device(HOST);
  work = mkdtempSync(join(kit.dir, 'agent-'));
  layout = new StateLayout(join(work, 'state'));
  mkdirSync(layout.root, { recursive: true });
  mkdirSync(join(work, 'logs'));
  writeFileSync(nginxLog(), '');
  writeFileSync(haproxyLog(), '');
  procRoot = writeFakeProc(join(work, 'proc'), PROC_FIRST);
  tls = new TlsFixture(work);
  tls.pki('probe');
  config = CollectConfigSchema.parse({
    probes: [
      { name: 'self', host: '127.0.0.1', port: await tls.listen('probe'), caFile: tls.path('probe-ca.pem'), timeoutMs: 5000 },
      { name: 'down', host: '127.0.0.1', port: await tls.closedPort(), timeoutMs: 5000 },
    ],
    system: { procRoot },
    logs: [{ path: nginxLog(), format: 'nginx' }, { path: haproxyLog(), format: 'haproxy' }],
  });
  writeFileSync(join(kit.dir, 'root.pem'), kit.root.certificatePem!);
});
after(() => {
  tls.close();
  kit.close();
});

const sampleRows = () => kit.svc.store.db.prepare(`SELECT m.t, m.interval_s, m.hs_attempted, m.hs_failed_by, m.client_ips_distinct, m.client_ips_new, m.cpu_pct, m.net_rx_bytes, m.cert_validation_errors, m.client_nets_distinct, m.client_nets_new
  FROM metric_samples m JOIN metric_series s ON s.id = m.series_id WHERE s.host = ? AND s.cert_sha256 = ? ORDER BY m.t`).all(HOST, CERT) as Array<Record<string, unknown>>;

async function importOne(path: string) {
  const [r] = await kit.svc.importBundles([path], { quarantine: false });
  return r;
}

describe('agent metrics collection into signed bundles', () => {
  test('first and second collection: exact figures, a bundle each, accepted by the console with the next sequence', async () => {
    const first = await collectOnce({ layout, config, host: HOST, certificateSha256: CERT, now: at(5) });
    assert.equal(first.samples.length, 1);
    const s1 = first.samples[0];
    // First run: a window of the configured interval; /proc since boot (9500 jiffies, 8100 idle; bytes over 1000 s uptime, 300 s of it).
    assert.deepEqual({ t: s1.t, interval_s: s1.interval_s, cpu: s1.cpu_pct, mem: s1.mem_pct, rx: s1.net_rx_bytes, tx: s1.net_tx_bytes },
      { t: '2026-03-02T00:00:00Z', interval_s: 300, cpu: 14.737, mem: 50, rx: 300_150, tx: 600_210 });
    assert.deepEqual({ a: s1.hs_attempted, ok: s1.hs_succeeded, failed: s1.hs_failed, by: s1.hs_failed_by, protocols: s1.protocols }, { a: 2, ok: 1, failed: 1, by: { 'error:connection_refused': 1 }, protocols: { 'TLSv1.3': 1 } });
    assert.ok(s1.hs_p50_ms !== null && s1.hs_p50_ms === s1.hs_p95_ms);
    assert.deepEqual(first.logs.map((l) => l.start), ['first-sight', 'first-sight']);
    assert.ok(existsSync(collectStatePath(layout)));

    appendFileSync(nginxLog(), fixtureLog('nginx-error.log'));
    appendFileSync(haproxyLog(), fixtureLog('haproxy.log'));
    writeFakeProc(procRoot, PROC_SECOND);
    const second = await collectOnce({ layout, config, host: HOST, certificateSha256: CERT, now: at(10) });
    const s2 = second.samples[0];
    assert.deepEqual({ t: s2.t, interval_s: s2.interval_s, cpu: s2.cpu_pct, mem: s2.mem_pct, rx: s2.net_rx_bytes, tx: s2.net_tx_bytes },
      { t: '2026-03-02T00:05:00Z', interval_s: 300, cpu: 25, mem: 62.5, rx: 601_000, tx: 900_100 });
    // nginx: 5 addresses, HAProxy: 6, one (203.0.113.9) in both; all new.
    assert.deepEqual([s2.client_ips_distinct, s2.client_ips_new, second.newClientNetworks, s2.client_nets_distinct, s2.client_nets_new], [10, 10, 5, 5, 5]);
    assert.deepEqual(s2.cert_validation_errors, { unknown_ca: 3, certificate_expired: 1, bad_certificate: 1, self_signed: 1, handshake_failure: 2, certificate_untrusted: 1 });
    assert.equal(second.investigating, false);
    assert.deepEqual(second.excerpts, []);
    assert.equal(second.nextCollectAt.toISOString(), at(15).toISOString());

    const outDir = layout.outbox;
    const b1 = await writeMetricsBundle({ layout, identity: device, samples: first.samples, now: at(5), outDir });
    const b2 = await writeMetricsBundle({ layout, identity: device, samples: second.samples, now: at(10), outDir });
    assert.deepEqual([b1.sequence, b2.sequence, b1.records, b2.excerpts], [1, 2, 1, 0]);
    assert.deepEqual(readdirSync(outDir).sort(), [b1.path, b2.path].map((p) => p.slice(outDir.length + 1)).sort(), 'no temp or partial files left');
    assert.deepEqual(JSON.parse(readFileSync(layout.sequence, 'utf8')), { [device.sha256]: 2 });

    kit.clock.now = at(11);
    for (const b of [b1, b2]) {
      const r = await importOne(b.path);
      assert.equal(r.status, 'accepted', JSON.stringify(r));
      if (r.status === 'accepted') assert.deepEqual([r.records, r.sequence, r.producer.includes(HOST)], [1, b.sequence, true]);
    }
    const rows = sampleRows();
    assert.equal(rows.length, 2);
    assert.deepEqual(rows[1], { t: Date.parse('2026-03-02T00:05:00Z') / 1000, interval_s: 300, hs_attempted: 2, hs_failed_by: 'error:connection_refused=1', client_ips_distinct: 10, client_ips_new: 10, cpu_pct: 25, net_rx_bytes: 601_000,
      cert_validation_errors: 'unknown_ca=3;certificate_expired=1;bad_certificate=1;self_signed=1;handshake_failure=2;certificate_untrusted=1', client_nets_distinct: 5, client_nets_new: 5 });
    assert.deepEqual([rows[0].client_nets_distinct, rows[0].client_nets_new], [0, 0], 'a window without clients stores zero networks, not null');

    // The same bundle again is a no-op; the payload is exactly what the writer of the format produces.
    assert.equal((await importOne(b2.path)).status, 'already-imported');
    const x = join(work, 'x2');
    mkdirSync(x);
    assert.equal(spawnSync('tar', ['xf', b2.path, '-C', x]).status, 0);
    assert.equal(gunzipSync(readFileSync(join(x, 'metrics.ndjson.gz'))).toString(), ndjsonLine(s2, METRICS_SCHEMA_V1_1));
    const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(x, 'manifest.p7s'), '-content', join(x, 'manifest.json'), '-CAfile', join(kit.dir, 'root.pem'), '-out', '/dev/null'], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.match(v.stderr, /Verification successful/);
  });

  test('investigation mode: shorter interval, excerpts of error and new-client lines, accepted and counted by the console', async () => {
    appendFileSync(nginxLog(), fixtureLog('nginx-access.log') + fixtureLog('nginx-error.log'));
    const investigation = { until: at(71).toISOString(), collectIntervalSeconds: 60, logExcerpts: true };
    const r = await collectOnce({ layout, config, host: HOST, certificateSha256: CERT, now: at(11), investigation });
    const s = r.samples[0];
    assert.equal(r.investigating, true);
    assert.equal(r.nextCollectAt.toISOString(), at(12).toISOString());
    assert.deepEqual([s.t, s.interval_s], ['2026-03-02T00:10:00Z', 60]);
    // Seen before, except 2001:db8::5, whose /64 HAProxy's 2001:db8::9 already showed.
    assert.deepEqual([s.client_ips_distinct, s.client_ips_new, r.newClientNetworks, s.client_nets_new], [7, 1, 0, 0]);
    assert.equal(s.client_nets_distinct, 5);
    // The five nginx lines with certificate errors, and the access line of the new client.
    assert.equal(r.excerpts.length, 6);
    assert.deepEqual(r.excerpts.map((e) => e.line.slice(0, 11)), ['2001:db8::5', ...Array(5).fill('2026/03/02 ')]);
    assert.deepEqual(r.excerpts[0], { host: HOST, time: '2026-03-02T00:11:00Z', source: nginxLog(), line: '2001:db8::5 - - [02/Mar/2026:10:15:03 +0000] "GET /health HTTP/1.1" 200 2 "-" "probe"' });

    const b = await writeMetricsBundle({ layout, identity: device, samples: r.samples, excerpts: r.excerpts, now: at(11), outDir: layout.outbox });
    assert.deepEqual([b.sequence, b.excerpts], [3, 6]);
    const out = await importOne(b.path);
    assert.equal(out.status, 'accepted', JSON.stringify(out));
    if (out.status === 'accepted') assert.equal(out.records, 7, 'one sample and six excerpt lines');
    assert.equal(sampleRows().length, 3);
    const manifest = JSON.parse(String((kit.svc.store.db.prepare('SELECT manifest FROM bundles WHERE bundle_id = ?').get(b.bundleId) as { manifest: Buffer }).manifest));
    assert.deepEqual(manifest.files.map((f: { name: string; schema: string; records: number }) => [f.name, f.schema, f.records]), [['metrics.ndjson.gz', METRICS_SCHEMA_V1_1, 1], [LOG_EXCERPTS_FILE, LOG_EXCERPTS_SCHEMA_V1, 6]]);

    // The excerpt bound: the rest is counted as dropped, not sent.
    appendFileSync(nginxLog(), fixtureLog('nginx-error.log'));
    const bounded = await collectOnce({ layout, config: { ...config, investigation: { ...config.investigation, maxExcerptLines: 2 } }, host: HOST, certificateSha256: CERT, now: at(12), investigation });
    assert.deepEqual([bounded.excerpts.length, bounded.excerptsDropped], [2, 3]);

    // Once `until` has passed: the normal interval, no excerpts.
    appendFileSync(nginxLog(), fixtureLog('nginx-error.log'));
    const after = await collectOnce({ layout, config, host: HOST, certificateSha256: CERT, now: at(72), investigation });
    assert.deepEqual([after.investigating, after.excerpts.length, after.nextCollectAt.toISOString()], [false, 0, at(77).toISOString()]);
    assert.equal(after.samples[0].interval_s, 3600);
  });

  test('the console refuses excerpts that break coldroot.log-excerpts.v1 or the file rules of a metrics bundle', async () => {
    const metrics = { name: 'metrics.ndjson.gz', data: gzipSync(ndjsonLine({ host: HOST, cert: CERT, t: '2026-03-02T01:00:00Z', interval_s: 60, hs_attempted: 0, hs_succeeded: 0, hs_failed: 0, hs_failed_by: {}, hs_p50_ms: null, hs_p95_ms: null, protocols: {}, ciphers: {}, client_ips_distinct: 0, client_ips_new: 0, cpu_pct: 1, mem_pct: 2, net_rx_bytes: 0, net_tx_bytes: 0, cert_validation_errors: {} })), schema: METRICS_SCHEMA_V1, records: 1 };
    const excerpts = (lines: unknown[]) => ({ name: LOG_EXCERPTS_FILE, data: gzipSync(lines.map((l) => `${JSON.stringify(l)}\n`).join('')), schema: LOG_EXCERPTS_SCHEMA_V1 });
    const good = { host: HOST, time: '2026-03-02T01:00:00Z', source: '/var/log/nginx/error.log', line: 'x' };
    const cases: Array<[string, Parameters<typeof writeTestBundle>[4], string, string]> = [
      ['extra-field', [metrics, excerpts([good, { ...good, user: 'root' }])], 'BUNDLE_PAYLOAD_INVALID', `${LOG_EXCERPTS_FILE} line 2: (top level): Unrecognized key: "user"`],
      ['bad-time', [metrics, excerpts([{ ...good, time: 'yesterday' }])], 'BUNDLE_PAYLOAD_INVALID', `${LOG_EXCERPTS_FILE} line 1: time: Invalid string: must match pattern`],
      ['alone', [excerpts([good])], 'BUNDLE_MANIFEST_INVALID', `manifest.json: a metrics bundle with ${LOG_EXCERPTS_FILE} also holds a metrics file`],
      ['wrong-schema', [metrics, { ...excerpts([good]), schema: 'coldroot.logs.v9' }], 'BUNDLE_MANIFEST_INVALID', `manifest.json: ${LOG_EXCERPTS_FILE} must declare schema '${LOG_EXCERPTS_SCHEMA_V1}' (it declares 'coldroot.logs.v9')`],
    ];
    let sequence = 100;
    for (const [name, files, code, message] of cases) {
      const file = join(work, `${name}.tar`);
      try {
        await writeTestBundle(file, device, 'metrics', sequence++, files);
      } catch (e) {
        // The writer runs the reader's manifest rules too: a manifest-level fault cannot even be written.
        assert.equal(code, 'BUNDLE_MANIFEST_INVALID', name);
        assert.equal((e as Error).message, `Cannot write this bundle: ${message}`, name);
        continue;
      }
      const r = await importOne(file);
      assert.deepEqual(r.status === 'rejected' ? [r.code, r.message.startsWith(message)] : r, [code, true], `${name}: ${JSON.stringify(r)}`);
    }
  });

  test('with localRiskReport: warm-up gives no report; a local risk report bundle is accepted by the console', async () => {
    const r = await collectOnce({ layout, config: { ...config, localRiskReport: true }, host: HOST, certificateSha256: CERT, now: at(80) });
    assert.equal(r.riskReport, null);
    assert.equal(JSON.parse(readFileSync(collectStatePath(layout), 'utf8')).riskHistory.length, 1);

    const history: RiskHistory = [];
    const base = r.samples[0];
    for (let i = 0; i < 20; i++) scoreLocally(history, { ...base, t: new Date(Date.parse(base.t) + i * 300_000).toISOString().replace('.000Z', 'Z'), client_ips_new: i % 2 }, at(80));
    const report = scoreLocally(history, { ...base, t: '2026-03-02T03:00:00Z', client_ips_new: 50, client_ips_distinct: 60 }, at(185))!;
    assert.deepEqual(report.anomalies.map((a) => a.kind), ['new-client-ip-burst']);
    const b = await writeRiskReportBundle({ layout, identity: device, reports: [report], now: at(185), outDir: layout.outbox });
    kit.clock.now = at(186);
    const out = await importOne(b.path);
    assert.equal(out.status, 'accepted', JSON.stringify(out));
    assert.equal(b.sequence, 4);
    const stored = kit.svc.store.db.prepare('SELECT host, level, anomalies FROM risk_reports WHERE host = ?').all(HOST) as Array<{ host: string; level: string; anomalies: string }>;
    assert.deepEqual(stored.map((x) => [x.host, x.level, JSON.parse(x.anomalies)[0].kind]), [[HOST, report.level, 'new-client-ip-burst']]);
  });

  test('an older agent\'s coldroot.metrics.v1 bundle (no network counts) still imports, storing null; v1.1 fields under a v1 declaration are refused', async () => {
    const sample = { host: HOST, cert: CERT, t: '2026-03-02T02:00:00Z', interval_s: 60, hs_attempted: 0, hs_succeeded: 0, hs_failed: 0, hs_failed_by: {}, hs_p50_ms: null, hs_p95_ms: null, protocols: {}, ciphers: {}, client_ips_distinct: 3, client_ips_new: 1, cpu_pct: 1, mem_pct: 2, net_rx_bytes: 0, net_tx_bytes: 0, cert_validation_errors: {} };
    const old = join(work, 'v1-only.tar');
    await writeTestBundle(old, device, 'metrics', 200, [{ name: 'metrics.ndjson.gz', data: gzipSync(ndjsonLine(sample)), schema: METRICS_SCHEMA_V1, records: 1 }]);
    assert.equal((await importOne(old)).status, 'accepted');
    const row = sampleRows().find((r) => r.t === Date.parse(sample.t) / 1000)!;
    assert.deepEqual([row.client_ips_distinct, row.client_ips_new, row.client_nets_distinct, row.client_nets_new], [3, 1, null, null]);

    const mislabelled = join(work, 'v11-as-v1.tar');
    const newer = { ...sample, t: '2026-03-02T02:01:00Z', client_nets_distinct: 2, client_nets_new: 1 };
    await writeTestBundle(mislabelled, device, 'metrics', 201, [{ name: 'metrics.ndjson.gz', data: gzipSync(ndjsonLine(newer, METRICS_SCHEMA_V1_1)), schema: METRICS_SCHEMA_V1, records: 1 }]);
    const r = await importOne(mislabelled);
    assert.equal(r.status, 'rejected');
    if (r.status === 'rejected') assert.match(`${r.code}: ${r.message}`, /^BUNDLE_PAYLOAD_INVALID: .*metrics\.ndjson\.gz line 1: unknown field "client_nets_distinct" \(a coldroot\.metrics\.v1\.1 field; declare that schema in the manifest\)/);
  });
});
