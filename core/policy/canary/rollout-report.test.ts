// The rollout report reads the agents' rollout.json from the database: the import stores it in
// the bundle's transaction (table rollout_progress), the report takes the newest report of each
// host and plan, whatever order the bundles were imported in. Rejected bundles store nothing.
import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { WrittenBundle } from '../../bundles/bundle-writer.js';
import { METRICS_SCHEMA_V1, type MetricSample } from '../../bundles/payloads/metrics-fields.js';
import { MetricsFileWriter } from '../../bundles/payloads/metrics-writer.js';
import { rolloutOps } from '../../api/ops/rollout-ops.js';
import { makeBundleTestKit, writeTestBundle, type BundleTestKit, type TestDevice } from '../../bundles/testing/bundle-test-kit.js';
import { databaseFingerprint } from '../../store/database.js';
import { ROLLOUT_PROGRESS_FILE, ROLLOUT_PROGRESS_SCHEMA_V1, type RolloutReport } from './rollout-progress.js';

const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);
const T0 = Date.parse('2026-03-01T20:00:00Z');
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

function samples(host: string, fromMinute: number, minutes: number, exposure: number): MetricSample[] {
  const one = (cert: string, attempted: number, k: number): MetricSample => ({
    host, cert, t: `${at(k * 60).slice(0, 19)}Z`, interval_s: 60, hs_attempted: attempted, hs_succeeded: attempted, hs_failed: 0, hs_failed_by: {},
    hs_p50_ms: 5, hs_p95_ms: 10, protocols: { 'TLSv1.3': attempted }, ciphers: {}, client_ips_distinct: 3, client_ips_new: 0,
    cpu_pct: 1, mem_pct: 1, net_rx_bytes: 0, net_tx_bytes: 0, cert_validation_errors: {},
  });
  return Array.from({ length: minutes }, (_, i) => [one(OLD, 100 - exposure, fromMinute + i), one(NEW, exposure, fromMinute + i)]).flat();
}

function report(host: string, planId: string, o: Partial<RolloutReport> = {}): RolloutReport {
  return {
    host, planId, policy: 'adaptive', state: 'running', exposurePercent: 20, activeCertificate: 'old', oldCertificate: OLD, newCertificate: NEW,
    startedAt: at(0), lastChangeAt: at(60), finishedAt: null,
    changes: [{ at: at(0), from: 0, to: 5, action: 'increase', metric: 'start' }, { at: at(60), from: 5, to: 20, action: 'increase', metric: 'target' }],
    lastDecision: { at: at(60), action: 'increase', from: 5, to: 20, metric: 'target', message: 'new as good as old' }, rollbackReason: null, ...o,
  };
}

/** A metrics bundle of `device`: three minutes of samples from `fromMinute`, and `rollout` as its rollout.json (any JSON: invalid ones too). */
async function rolloutBundle(kit: BundleTestKit, name: string, device: TestDevice, sequence: number, host: string, rollout: unknown, createdAt: string, fromMinute = 0): Promise<WrittenBundle> {
  const file = join(kit.dir, `${name}.tar`);
  const payload = `${file}.metrics.ndjson.gz`;
  const w = new MetricsFileWriter(payload, 'ndjson');
  for (const s of samples(host, fromMinute, 3, 20)) await w.write(s);
  const { records } = await w.close();
  try {
    return await writeTestBundle(file, device, 'metrics', sequence, [
      { name: 'metrics.ndjson.gz', path: payload, schema: METRICS_SCHEMA_V1, records },
      { name: ROLLOUT_PROGRESS_FILE, schema: ROLLOUT_PROGRESS_SCHEMA_V1, json: rollout },
    ], { createdAt: new Date(createdAt) });
  } finally {
    rmSync(payload, { force: true });
  }
}

const count = (kit: BundleTestKit, sql: string, ...args: unknown[]) => (kit.svc.store.db.prepare(sql).get(...args) as { n: number }).n;

describe('rollout report from stored rollout.json', () => {
  let kit: BundleTestKit;
  let device: TestDevice;
  const HOST = 'web-01.fleet.example';
  let running: WrittenBundle;
  let rolledBack: WrittenBundle;

  before(async () => {
    kit = await makeBundleTestKit('coldroot-rollout-stored-');
    device = await kit.device(HOST);
    running = await rolloutBundle(kit, 'running', device, 1, HOST, { schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [report(HOST, 'web-2026'), report(HOST, 'api-2026', { startedAt: at(30) })] }, '2026-03-01T20:02:00Z');
    rolledBack = await rolloutBundle(kit, 'rolled-back', device, 2, HOST, {
      schema: ROLLOUT_PROGRESS_SCHEMA_V1,
      rollouts: [report(HOST, 'web-2026', {
        state: 'rolled-back', exposurePercent: 0, lastChangeAt: at(120), finishedAt: '2026-03-01T20:02:00Z', rollbackReason: 'success rate 70.0% on new vs 100.0% on old',
        changes: [...report(HOST, 'x').changes, { at: at(120), from: 20, to: 0, action: 'rollback', metric: 'target' }],
        lastDecision: { at: at(120), action: 'rollback', from: 20, to: 0, metric: 'target', message: 'success rate 70.0% on new' },
      })],
    }, '2026-03-01T20:05:00.500Z', 3);
  });
  after(() => kit?.close());

  test('imported out of order, the newest report of each host and plan wins; every report is kept with its bundle', async () => {
    // The later bundle crosses the air gap first.
    const [second, first] = await kit.svc.importBundles([rolledBack.path, running.path]);
    assert.equal(second.status, 'accepted', JSON.stringify(second));
    assert.equal(first.status, 'accepted', JSON.stringify(first));
    assert.equal(second.status === 'accepted' && second.records, 3 * 2 + 1);
    assert.equal(count(kit, 'SELECT count(*) AS n FROM rollout_progress'), 3);
    const stored = kit.svc.store.db.prepare(`SELECT b.bundle_id AS bundleId, p.plan_id AS planId, p.state, p.reported_at AS reportedAt, p.changes
      FROM rollout_progress p JOIN bundles b ON b.id = p.bundle_id ORDER BY p.id`).all() as Array<{ bundleId: string; planId: string; state: string; reportedAt: string; changes: string }>;
    assert.deepEqual(stored.map((r) => [r.bundleId, r.planId, r.state, r.reportedAt]), [
      [rolledBack.manifest.bundleId, 'web-2026', 'rolled-back', '2026-03-01T20:05:00.500Z'],
      [running.manifest.bundleId, 'web-2026', 'running', '2026-03-01T20:02:00.000Z'],
      [running.manifest.bundleId, 'api-2026', 'running', '2026-03-01T20:02:00.000Z'],
    ]);
    assert.equal(JSON.parse(stored[0].changes).length, 3);

    const v = kit.svc.rolloutReport({ hosts: [HOST] });
    assert.deepEqual(v.rollouts.map((r) => [r.planId, r.state]), [['web-2026', 'rolled-back'], ['api-2026', 'running']]);
    const web = v.rollouts[0];
    assert.equal(web.policy, 'adaptive');
    assert.equal(web.reportedAt, '2026-03-01T20:05:00.500Z');
    assert.equal(web.rollbackReason, 'success rate 70.0% on new vs 100.0% on old');
    assert.equal(web.lastDecision, 'rollback target: success rate 70.0% on new');
    assert.deepEqual(web.changes.map((c) => c.to), [5, 20, 0]);
    assert.equal(web.timeToRollbackSeconds, 120);
    assert.equal(web.timeToFullSeconds, null);
    // The figures still come from the samples: both bundles' 6 intervals of 80 old + 20 new handshakes.
    assert.deepEqual([web.old.attempted, web.new.attempted], [480, 120]);
    assert.deepEqual(web.timeline.map((p) => p.exposurePercent), [20, 20, 20, 20, 20, 20]);
    // Without a host filter the same rollouts are found.
    assert.deepEqual(kit.svc.rolloutReport().rollouts.map((r) => r.planId), ['web-2026', 'api-2026']);
    // What the console's rolloutReport operation sends must pass its contract (the dispatcher checks every output).
    const out = rolloutOps.rolloutReport.output.safeParse(kit.svc.rolloutReport());
    assert.ok(out.success, JSON.stringify(out.error?.issues[0]));
  });

  test('re-importing an accepted bundle is a no-op: nothing stored twice, the database unchanged', async () => {
    const before = databaseFingerprint(kit.svc.store.db);
    const [again] = await kit.svc.importBundles([rolledBack.path]);
    assert.equal(again.status, 'already-imported');
    assert.equal(count(kit, 'SELECT count(*) AS n FROM rollout_progress'), 3);
    assert.equal(databaseFingerprint(kit.svc.store.db), before);
  });

  test('an invalid rollout.json rejects the whole bundle: no bundle row, no samples, no progress', async () => {
    const host = 'web-02.fleet.example';
    const d = await kit.device(host);
    const bad = await rolloutBundle(kit, 'bad', d, 1, host, { schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [report(host, 'web-2026', { exposurePercent: 150 })] }, '2026-03-01T20:03:00Z');
    const before = databaseFingerprint(kit.svc.store.db);
    const [r] = await kit.svc.importBundles([bad.path], { quarantine: false });
    assert.equal(r.status, 'rejected');
    assert.ok(r.status === 'rejected');
    assert.equal(r.code, 'BUNDLE_PAYLOAD_INVALID');
    assert.equal(r.check, 'schema');
    assert.equal(r.message, 'rollout.json: rollouts.0.exposurePercent: Too big: expected number to be <=100');
    assert.equal(databaseFingerprint(kit.svc.store.db), before);
    assert.equal(count(kit, 'SELECT count(*) AS n FROM bundles WHERE bundle_id = ?', bad.manifest.bundleId), 0);
    assert.equal(count(kit, 'SELECT count(*) AS n FROM rollout_progress WHERE host = ?', host), 0);
    assert.equal(count(kit, 'SELECT count(*) AS n FROM metric_samples m JOIN metric_series s ON s.id = m.series_id WHERE s.host = ?', host), 0);
    assert.deepEqual(kit.svc.rolloutReport({ hosts: [host] }).rollouts, []);
  });

  test('a rollout.json naming one rollout twice is refused: the report could not tell which is meant', async () => {
    const host = 'web-03.fleet.example';
    const d = await kit.device(host);
    const twice = await rolloutBundle(kit, 'twice', d, 1, host, { schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [report(host, 'web-2026'), report(host, 'web-2026', { state: 'complete' })] }, '2026-03-01T20:03:00Z');
    const before = databaseFingerprint(kit.svc.store.db);
    const [r] = await kit.svc.importBundles([twice.path], { quarantine: false });
    assert.ok(r.status === 'rejected', JSON.stringify(r));
    assert.equal(r.code, 'BUNDLE_PAYLOAD_INVALID');
    assert.equal(r.message, `rollout.json: rollouts[1] reports plan 'web-2026' of ${host} a second time`);
    assert.equal(databaseFingerprint(kit.svc.store.db), before);
  });
});
