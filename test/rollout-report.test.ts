// `coldroot rollout report` from imported metric bundles alone (no rollout.json): a rollout is two
// certificates of one host with handshakes in the same interval; with two host groups, the A/B
// comparison. The figures are checked against the samples written, and the real CLI prints them.
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { MetricSample } from '../core/bundles/payloads/metrics-fields.js';
import { makeBundleTestKit, writeMetricsBundle, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import { rolloutReport } from '../core/policy/canary/rollout-report.js';
import { coldroot, homeFingerprint } from './helpers/cli.js';

const START = Date.parse('2026-03-01T20:00:00Z');
const OLD = 'a'.repeat(64);
const NEW = 'b'.repeat(64);

/** One 60 s interval of `total` handshakes, `exposure`% of them on new; new loses `newFailPct`% to unknown_ca. */
function interval(host: string, k: number, exposure: number, newFailPct = 0, total = 1000): MetricSample[] {
  const t = `${new Date(START + k * 60_000).toISOString().slice(0, 19)}Z`;
  const onNew = Math.round(total * exposure / 100);
  const sample = (cert: string, attempted: number, failed: number, p95: number, cause: string): MetricSample => ({
    host, cert, t, interval_s: 60, hs_attempted: attempted, hs_succeeded: attempted - failed, hs_failed: failed,
    hs_failed_by: failed ? { [cause]: failed } : {}, hs_p50_ms: attempted - failed ? p95 / 2 : null, hs_p95_ms: attempted - failed ? p95 : null,
    protocols: attempted - failed ? { 'TLSv1.3': attempted - failed } : {}, ciphers: {}, client_ips_distinct: 10, client_ips_new: 0,
    cpu_pct: 1, mem_pct: 1, net_rx_bytes: 0, net_tx_bytes: 0, cert_validation_errors: {},
  });
  const out: MetricSample[] = [];
  // 0.2% unrelated failures on old, as the simulation assumes.
  if (total - onNew > 0) out.push(sample(OLD, total - onNew, Math.round((total - onNew) * 0.002), 12, 'error:closed_during_handshake'));
  if (onNew > 0) out.push(sample(NEW, onNew, Math.round(onNew * newFailPct / 100), 15, 'alert:unknown_ca'));
  return out;
}

describe('coldroot rollout report from metric samples', () => {
  let kit: BundleTestKit;
  let seq = 0;
  const hostsA = ['dyn-1.fleet.example', 'dyn-2.fleet.example'];
  const hostsB = ['fix-1.fleet.example', 'fix-2.fleet.example'];

  async function importHost(host: string, exposures: number[], newFailPct = 0): Promise<void> {
    const device = await kit.device(host);
    const samples = exposures.flatMap((e, k) => interval(host, k, e, newFailPct));
    const b = await writeMetricsBundle(join(kit.dir, `metrics-${host}.tar`), device, { sequence: ++seq, samples, format: 'ndjson' });
    const [r] = await kit.svc.importBundles([b.path]);
    assert.equal(r.status, 'accepted', JSON.stringify(r));
  }

  before(async () => {
    kit = await makeBundleTestKit('coldroot-rollout-report-');
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
    assert.equal(dyn1.oldCertificate, OLD);
    assert.equal(dyn1.newCertificate, NEW);
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

  test('bad input: one group without the other, an invalid host file, a bundle not imported — exit 2 with the reason', async () => {
    const home = join(kit.dir, 'home');
    const only = coldroot(['--home', home, 'rollout', 'report', '--hosts-a', join(kit.dir, 'dynamic.txt'), '--json']);
    assert.equal(only.code, 2);
    assert.equal(only.json.error.code, 'ROLLOUT_AB_INCOMPLETE');
    assert.equal(only.json.error.message, '--hosts-a was given without --hosts-b');
    writeFileSync(join(kit.dir, 'bad.txt'), 'ok.example\nnot a host\n');
    const bad = coldroot(['--home', home, 'rollout', 'report', '--hosts-a', join(kit.dir, 'bad.txt'), '--hosts-b', join(kit.dir, 'fixed.txt'), '--json']);
    assert.equal(bad.code, 2);
    assert.equal(bad.json.error.message, `--hosts-a ${join(kit.dir, 'bad.txt')}: 'not a host' is not a host name`);
    const stranger = await kit.device('stranger.fleet.example');
    const notImported = await writeMetricsBundle(join(kit.dir, 'not-imported.tar'), stranger, { sequence: 1, samples: interval('stranger.fleet.example', 0, 5), format: 'ndjson' });
    const refused = coldroot(['--home', home, 'rollout', 'report', '--bundles', notImported.path, '--json']);
    assert.equal(refused.code, 2, refused.stderr);
    assert.equal(refused.json.error.code, 'ROLLOUT_BUNDLE_NOT_IMPORTED');
    assert.match(refused.json.error.hint, /coldroot bundle import/);
  });
});
