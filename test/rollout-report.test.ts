// `coldroot rollout report` from the console database alone. Without rollout.json a rollout is two
// certificates of one host with handshakes in the same interval; with two host groups, the A/B
// comparison. The figures are checked against the samples written, and the real CLI prints them.
// With rollout.json (written by the agent's own bundle writer, imported by `coldroot bundle
// import`), plan, state and rollback reason come from what the import stored.
import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { makeBundleTestKit, writeMetricsBundle, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import type { RolloutProgressFile, RolloutReport } from '../core/policy/canary/rollout-progress.js';
import { rolloutReport } from '../core/policy/canary/rollout-report.js';
import { writeMetricsBundle as writeAgentMetricsBundle } from '../agent-bundle/src/agent/canary/rollout-metrics-bundle.js';
import { StateLayout } from '../agent-bundle/src/agent/state/state-layout.js';
import { coldroot, homeFingerprint } from './helpers/cli.js';
import { NEW_CERT, OLD_CERT, rolloutInterval, rolloutProgress } from './helpers/rollout-samples.js';

describe('coldroot rollout report from metric samples', () => {
  let kit: BundleTestKit;
  let seq = 0;
  const hostsA = ['dyn-1.fleet.example', 'dyn-2.fleet.example'];
  const hostsB = ['fix-1.fleet.example', 'fix-2.fleet.example'];

  async function importHost(host: string, exposures: number[], newFailPct = 0): Promise<void> {
    const device = await kit.device(host);
    const samples = exposures.flatMap((e, k) => rolloutInterval(host, k, e, newFailPct));
    const b = await writeMetricsBundle(join(kit.dir, `metrics-${host}.tar`), device, { sequence: ++seq, samples, format: 'ndjson' });
    const [r] = await kit.svc.importBundles([b.path]);
    assert.equal(r.status, 'accepted', JSON.stringify(r));
  }

  before(async () => {
    // A recent start: the CLI runs on the real clock, and the device certificates must be valid then.
    kit = await makeBundleTestKit('coldroot-rollout-report-', new Date(Date.now() - 86_400_000));
    // Group A (dynamic): 5 → 20 → 80 → 100 in three minutes; dyn-2 meets clients without the new root and backs out at once.
    await importHost(hostsA[0], [5, 20, 80, 100, 100]);
    await importHost(hostsA[1], [5, 0, 0], 30);
    // Group B (fixed schedule): 5 → 25 → 50 → 100, two intervals each; fix-2 ships the bad certificate to 100%.
    await importHost(hostsB[0], [5, 5, 25, 25, 50, 50, 100]);
    await importHost(hostsB[1], [5, 5, 25, 25, 50, 50, 100], 30);
  });
  after(() => kit?.close());

  test('per host: exposure over time, new vs old success and p95, failures caused, time to 100% or rollback', () => {
    const v = rolloutReport(kit.svc.ctx, { hosts: [...hostsA, ...hostsB] });
    const by = new Map(v.rollouts.map((r) => [r.host, r]));
    const dyn1 = by.get(hostsA[0])!;
    assert.equal(dyn1.oldCertificate, OLD_CERT);
    assert.equal(dyn1.newCertificate, NEW_CERT);
    assert.deepEqual(dyn1.timeline.map((p) => p.exposurePercent), [5, 20, 80, 100, 100]);
    assert.equal(dyn1.state, 'complete');
    assert.equal(dyn1.timeToFullSeconds, 180);
    assert.equal(dyn1.new.successPercent, 100);
    assert.equal(dyn1.new.p95Ms, 15);
    assert.equal(dyn1.old.p95Ms, 12);
    assert.equal(dyn1.failuresCausedByNew, 0);
    const dyn2 = by.get(hostsA[1])!;
    assert.equal(dyn2.state, 'rolled-back');
    assert.equal(dyn2.timeToRollbackSeconds, 60);
    // 50 handshakes on new, 15 failed (30%), old fails 0.2%: 15 − 50 × 0.002 = 14.9 → 15.
    assert.equal(dyn2.new.attempted, 50);
    assert.equal(dyn2.failuresCausedByNew, 15);
    assert.deepEqual(dyn2.new.failedBy, { 'alert:unknown_ca': 15 });
    const fix2 = by.get(hostsB[1])!;
    assert.equal(fix2.state, 'complete');
    assert.equal(fix2.timeToFullSeconds, 360);
    assert.ok(fix2.failuresCausedByNew > 500, String(fix2.failuresCausedByNew));
    assert.equal(fix2.new.successPercent, 70);
  });

  test('A/B: the dynamic group reaches 100% sooner and causes fewer failed handshakes than the fixed schedule, in the API and the CLI', () => {
    const v = rolloutReport(kit.svc.ctx, { groups: { a: { name: 'dynamic', hosts: hostsA }, b: { name: 'fixed', hosts: hostsB } } });
    const [a, b] = v.groups!;
    assert.deepEqual([a.rollouts, a.completed, a.rolledBack, a.medianTimeToFullSeconds, a.medianTimeToRollbackSeconds], [2, 1, 1, 180, 60]);
    assert.deepEqual([b.rollouts, b.completed, b.rolledBack, b.medianTimeToFullSeconds, b.medianTimeToRollbackSeconds], [2, 2, 0, 360, null]);
    assert.ok(a.failuresCausedByNew < b.failuresCausedByNew / 10, `${a.failuresCausedByNew} vs ${b.failuresCausedByNew}`);

    const home = join(kit.dir, 'home');
    writeFileSync(join(kit.dir, 'dynamic.txt'), `# dynamic controller\n${hostsA.join('\n')}\n`);
    writeFileSync(join(kit.dir, 'fixed.txt'), `${hostsB.join('\n')}\n`);
    const before = homeFingerprint(home);
    const json = coldroot(['--home', home, 'rollout', 'report', '--hosts-a', join(kit.dir, 'dynamic.txt'), '--hosts-b', join(kit.dir, 'fixed.txt'), '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(json.json.groups, v.groups);
    const text = coldroot(['--home', home, 'rollout', 'report', '--hosts-a', join(kit.dir, 'dynamic.txt'), '--hosts-b', join(kit.dir, 'fixed.txt')]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /dyn-2\.fleet\.example {2}\(no rollout\.json\) {2}rolled-back/);
    assert.match(text.stdout, /dynamic +hosts 2, rollouts 2: 1 at 100%, 1 rolled back; median time to 100% 3 min, to rollback 60 s/);
    assert.match(text.stdout, /fixed +hosts 2, rollouts 2: 2 at 100%, 0 rolled back; median time to 100% 6 min/);
    assert.equal(homeFingerprint(home), before, 'the report changes nothing');
  });

  test('bad input: one group without the other, an invalid host file — exit 2 with the reason', () => {
    const home = join(kit.dir, 'home');
    const only = coldroot(['--home', home, 'rollout', 'report', '--hosts-a', join(kit.dir, 'dynamic.txt'), '--json']);
    assert.equal(only.code, 2);
    assert.equal(only.json.error.code, 'ROLLOUT_AB_INCOMPLETE');
    assert.equal(only.json.error.message, '--hosts-a was given without --hosts-b');
    writeFileSync(join(kit.dir, 'bad.txt'), 'ok.example\nnot a host\n');
    const bad = coldroot(['--home', home, 'rollout', 'report', '--hosts-a', join(kit.dir, 'bad.txt'), '--hosts-b', join(kit.dir, 'fixed.txt'), '--json']);
    assert.equal(bad.code, 2);
    assert.equal(bad.json.error.message, `--hosts-a ${join(kit.dir, 'bad.txt')}: 'not a host' is not a host name`);
  });

  test('rollout.json from `coldroot bundle import` is stored: the report shows plan, state and rollback reason from the database; an invalid one is rejected, nothing stored', async () => {
    const home = join(kit.dir, 'home');
    const host = 'canary-1.fleet.example';
    const device = await kit.device(host);
    const layout = new StateLayout(join(kit.dir, 'agent-canary-1'));
    mkdirSync(layout.root, { recursive: true });
    const progress = (o: Partial<RolloutReport>): RolloutProgressFile => rolloutProgress(host, o);
    const write = (k: number, rollout: RolloutProgressFile) => writeAgentMetricsBundle({ layout, identity: device, now: kit.clock.now, outDir: join(kit.dir, 'outbox'), samples: rolloutInterval(host, k, 5, 30), rollout });
    const good = await write(0, progress({}));
    // The agent's writer does not check what it is given; the console does.
    const invalid = await write(1, progress({ exposurePercent: 150 }));
    kit.svc.close(); // the CLI takes the home's lock from here on
    const imported = coldroot(['--home', home, 'bundle', 'import', good.path, '--json']);
    assert.equal(imported.code, 0, imported.stderr);
    assert.equal(imported.json.results[0].status, 'accepted');

    const json = coldroot(['--home', home, 'rollout', 'report', '--host', host, '--json']);
    assert.equal(json.code, 0, json.stderr);
    assert.equal(json.json.rollouts.length, 1);
    const r = json.json.rollouts[0];
    assert.deepEqual([r.planId, r.state, r.policy, r.timeToRollbackSeconds, r.reportedAt], ['edge-2026', 'rolled-back', 'adaptive', 60, kit.clock.now.toISOString()]);
    assert.equal(r.rollbackReason, 'success rate 70.0% on new vs 99.8% on old');
    assert.deepEqual([r.new.attempted, r.new.failed], [50, 15]);
    const text = coldroot(['--home', home, 'rollout', 'report', '--host', host]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /canary-1\.fleet\.example {2}edge-2026 {2}rolled-back {2}policy adaptive/);
    assert.match(text.stdout, /rollback: success rate 70\.0% on new vs 99\.8% on old/);

    const before = homeFingerprint(home);
    const refused = coldroot(['--home', home, 'bundle', 'import', '--no-quarantine', invalid.path, '--json']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.json.results[0].code, 'BUNDLE_PAYLOAD_INVALID');
    assert.equal(refused.json.results[0].message, 'rollout.json: rollouts.0.exposurePercent: Too big: expected number to be <=100');
    assert.equal(homeFingerprint(home), before);
    const db = new Database(join(home, 'coldroot.db'), { readonly: true });
    try {
      assert.equal((db.prepare('SELECT count(*) AS n FROM rollout_progress WHERE host = ?').get(host) as { n: number }).n, 1);
      assert.equal((db.prepare('SELECT count(*) AS n FROM bundles WHERE bundle_id = ?').get(invalid.bundleId) as { n: number }).n, 0);
    } finally {
      db.close();
    }
  });
});
