import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { databaseFingerprint } from '../store/database.js';
import { buildCsr } from '../x509/csr-builder.js';
import { SoftwareSigner } from '../keys/software-signer.js';
import { importBundle } from './bundle-import.js';
import { renewalRequestFile } from './payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from './payloads/renewal-request.js';
import { METRICS_SCHEMA_V1 } from './payloads/metrics-schema.js';
import { derivedKey } from './simulation/fleet-simulator.js';
import { makeBundleTestKit, testSamples, writeMetricsBundle, writeRiskReportBundle, writeTestBundle, type BundleTestKit, type TestDevice } from './testing/bundle-test-kit.js';

let kit: BundleTestKit;
let device: TestDevice;
const file = (n: string) => join(kit.dir, n);
const count = (sql: string, ...args: unknown[]) => (kit.svc.store.db.prepare(sql).get(...args) as { n: number }).n;

before(async () => {
  kit = await makeBundleTestKit();
  device = await kit.device('web-0001.fleet.example');
});
after(() => kit.close());

describe('bundle import', () => {
  test('stores the known-answer samples exactly (fixtures/bundles/metrics-v1.csv)', async () => {
    const csv = readFileSync(new URL('../../fixtures/bundles/metrics-v1.csv', import.meta.url));
    await writeTestBundle(file('fixture.tar'), device, 'metrics', 1, [{ name: 'metrics.csv.gz', data: gzipSync(csv), schema: METRICS_SCHEMA_V1, records: 3 }]);
    const r = await importBundle(kit.svc.ctx, file('fixture.tar'));
    assert.equal(r.status, 'accepted', JSON.stringify(r));
    const rows = kit.svc.store.db.prepare(`SELECT s.host, s.cert_sha256 AS cert, m.t, m.hs_failed_by, m.hs_p50_ms, m.protocols, m.cert_validation_errors
      FROM metric_samples m JOIN metric_series s ON s.id = m.series_id ORDER BY m.rowid`).all() as Array<Record<string, unknown>>;
    assert.equal(rows.length, 3);
    assert.deepEqual(rows[0], { host: 'web-0001.fleet.example', cert: '3b1c6a1f0d9e2c4b5a69788796a5b4c3d2e1f00112233445566778899aabbccd', t: 1772409600, hs_failed_by: 'alert:bad_certificate=1;error:timeout=2', hs_p50_ms: 7.25, protocols: 'TLSv1.3=371;TLSv1.2=38', cert_validation_errors: '' });
    assert.equal(rows[1].cert_validation_errors, 'unknown_ca=2');
    assert.equal(rows[2].hs_p50_ms, null);
    assert.equal(count('SELECT count(*) AS n FROM metric_series'), 2);
    const audit = kit.svc.store.audit.list({ action: 'bundle.import' });
    assert.equal(audit.length, 1);
    assert.equal(audit[0].details.records, 3);
    assert.equal(audit[0].details.bundleId, r.status === 'accepted' ? r.bundleId : '');
  });

  test('a worker thread and this thread store the same rows and give the same reasons', async () => {
    const samples = testSamples(3000, 21);
    await writeMetricsBundle(file('w1.tar'), device, { sequence: 2, samples, format: 'ndjson' });
    await writeMetricsBundle(file('w2.tar'), device, { sequence: 3, samples, format: 'ndjson' });
    assert.equal((await importBundle(kit.svc.ctx, file('w1.tar'), { parallel: 'always' })).status, 'accepted');
    assert.equal((await importBundle(kit.svc.ctx, file('w2.tar'), { parallel: 'never' })).status, 'accepted');
    const rows = (seq: number) => kit.svc.store.db.prepare(`SELECT m.series_id, m.t, m.hs_attempted, m.hs_failed_by, m.ciphers, m.cpu_pct FROM metric_samples m JOIN bundles b ON b.id = m.bundle_id WHERE b.sequence = ? AND b.producer_sha256 = ? ORDER BY m.rowid`).raw().all(seq, device.sha256);
    assert.equal(rows(2).length, 3000);
    assert.deepEqual(rows(2), rows(3));
    // Damage inside the payload: the same verdict either way.
    const bad = readFileSync(file('w1.tar'));
    bad[bad.length - 1024 - 5000] ^= 0x01;
    writeFileSync(file('w-bad.tar'), bad);
    const here = await kit.svc.inspectBundle(file('w-bad.tar'), { parallel: 'never' });
    const there = await kit.svc.inspectBundle(file('w-bad.tar'), { parallel: 'always' });
    assert.equal(here.failure?.code, 'BUNDLE_HASH_MISMATCH');
    assert.deepEqual(there.failure, here.failure);
    const broken = samples.map((s, i) => (i === 1234 ? { ...s, hs_p50_ms: 999, hs_p95_ms: 1 } : s));
    await writeMetricsBundle(file('w-rule.tar'), device, { sequence: 4, samples: broken, format: 'ndjson' });
    const h2 = await kit.svc.inspectBundle(file('w-rule.tar'), { parallel: 'never' });
    const t2 = await kit.svc.inspectBundle(file('w-rule.tar'), { parallel: 'always' });
    assert.equal(h2.failure?.message, 'metrics.ndjson.gz line 1235: hs_p50_ms exceeds hs_p95_ms');
    assert.deepEqual(t2.failure, h2.failure);
  });

  test('risk reports and renewal requests are stored with their proof', async () => {
    const before = count('SELECT count(*) AS n FROM bundles');
    assert.equal((await importBundle(kit.svc.ctx, await writeRiskReportBundle(file('risk.tar'), device, 10).then((b) => b.path))).status, 'accepted');
    const risk = kit.svc.store.db.prepare('SELECT host, score, level, model, anomalies FROM risk_reports').get() as Record<string, unknown>;
    assert.deepEqual({ ...risk, anomalies: JSON.parse(risk.anomalies as string)[0].kind }, { host: 'web-0001.fleet.example', score: 0.82, level: 'high', model: 'isolation-forest@1', anomalies: 'handshake-failure-spike' });
    const next = new SoftwareSigner(derivedKey(5, 'next'), 'ecdsa-p256', 'software:next');
    const boot = await kit.device(device.name, { profile: 'device-bootstrap' });
    const payload = await renewalRequestFile([
      { requestId: 'r1', host: device.name, profile: 'device-management', reason: 'key-rotation', csr: await buildCsr(next, `CN=${device.name}`), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } },
      { requestId: 'r2', host: device.name, profile: 'device-management', reason: 'bootstrap', csr: await buildCsr(next, `CN=${device.name}`), proof: { kind: 'bootstrap-certificate', certificate: boot.certificate, key: boot.signer } },
    ]);
    await writeTestBundle(file('req.tar'), device, 'renewal-request', 11, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 2, json: payload }]);
    assert.equal((await importBundle(kit.svc.ctx, file('req.tar'))).status, 'accepted');
    const reqs = kit.svc.listRenewalRequests();
    assert.deepEqual(reqs.map((r) => [r.requestId, r.status, r.proofKind, r.subject]), [['r1', 'pending', 'current-certificate', `CN=${device.name}`], ['r2', 'pending', 'bootstrap-certificate', `CN=${device.name}`]]);
    const blob = kit.svc.store.db.prepare("SELECT proof_attestation AS a, proof_certificate AS c, proof_signature AS s FROM renewal_requests WHERE request_id = 'r2'").get() as { a: Buffer | null; c: Buffer; s: Buffer };
    assert.equal(blob.a, null);
    assert.deepEqual(new Uint8Array(blob.c), boot.certificate);
    assert.ok(blob.s.length > 0);
    assert.equal(count('SELECT count(*) AS n FROM bundles'), before + 2);
  });

  test('a rejected bundle changes nothing but the audit trail and the quarantine folder', async () => {
    const bad = readFileSync(file('risk.tar'));
    bad[700] ^= 0x20; // inside manifest.json
    writeFileSync(file('risk-bad.tar'), bad);
    const fp = databaseFingerprint(kit.svc.store.db);
    const entries = kit.svc.store.audit.list({ limit: 10_000 }).length;
    const r = await importBundle(kit.svc.ctx, file('risk-bad.tar'));
    assert.equal(r.status, 'rejected');
    assert.equal(r.status === 'rejected' && r.code, 'BUNDLE_SIGNATURE_INVALID');
    assert.ok(r.status === 'rejected' && r.quarantine && readFileSync(r.quarantine).equals(bad));
    const after = kit.svc.store.audit.list({ limit: 10_000 });
    assert.equal(after.length, entries + 1);
    assert.deepEqual([after.at(-1)!.action, after.at(-1)!.outcome], ['bundle.reject', 'BUNDLE_SIGNATURE_INVALID']);
    assert.notEqual(databaseFingerprint(kit.svc.store.db), fp);
    const again = await importBundle(kit.svc.ctx, file('risk-bad.tar'), { quarantine: false });
    assert.equal(again.status, 'rejected');
    const fp2 = databaseFingerprint(kit.svc.store.db);
    await importBundle(kit.svc.ctx, file('risk-bad.tar'), { quarantine: false });
    assert.equal(databaseFingerprint(kit.svc.store.db), fp2);
  });
});
