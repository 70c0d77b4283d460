// A `coldroot bundle import` killed with SIGKILL at random points leaves the whole bundle or none of it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { ConsoleService } from '../core/api/console-service.js';
import { makeBundleTestKit, testSamples, writeMetricsBundle, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import { SeededRandom } from '../core/models/seeded-random.js';
import { REPO_ROOT } from './helpers/cli.js';

const SEED = Number(process.env.BUNDLE_KILL_SEED ?? 4242);
const ROWS = 120_000;
let kit: BundleTestKit;
let home: string;
let bundle: string;

before(async () => {
  kit = await makeBundleTestKit('coldroot-bundle-kill-', new Date(Date.now() - 86_400_000));
  home = join(kit.dir, 'home');
  bundle = join(kit.dir, 'big.tar');
  const device = await kit.device('collector-01');
  // Many hosts, so the import also creates metric series inside its transaction.
  const samples = Array.from({ length: 40 }, (_, h) => testSamples(ROWS / 40, 5, h)).flat();
  await writeMetricsBundle(bundle, device, { sequence: 1, samples });
  kit.svc.close();
});
after(() => kit.close());

interface Kill { afterMs?: number; walBytes?: number }

/**
 * Runs the CLI import and kills it with SIGKILL after `afterMs`, or as soon as its write-ahead log
 * has grown past `walBytes` (the import's transaction writing: a point inside it, however fast or
 * slow this machine is today).
 */
function runImport(kill: Kill | null): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'coldroot.js'), '--home', home, 'bundle', 'import', bundle, '--json'], { env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const wal = join(home, 'coldroot.db-wal');
    const timer = kill?.afterMs !== undefined ? setTimeout(() => child.kill('SIGKILL'), kill.afterMs) : null;
    const poll = kill?.walBytes !== undefined ? setInterval(() => {
      if (existsSync(wal) && statSync(wal).size >= kill.walBytes!) child.kill('SIGKILL');
    }, 2) : null;
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      if (poll) clearInterval(poll);
      resolve({ code, signal, stdout });
    });
  });
}

/** What the database holds after (crash) recovery: all of the bundle or nothing of it. */
function stateAfterRecovery(): 'none' | 'whole' {
  const db = new Database(join(home, 'coldroot.db'));
  try {
    const n = (sql: string) => (db.prepare(sql).get() as { n: number }).n;
    const bundles = n('SELECT count(*) AS n FROM bundles');
    const samples = n('SELECT count(*) AS n FROM metric_samples');
    const series = n('SELECT count(*) AS n FROM metric_series');
    const audits = n("SELECT count(*) AS n FROM audit_entries WHERE action = 'bundle.import'");
    if (bundles === 0) {
      assert.deepEqual({ samples, series, audits }, { samples: 0, series: 0, audits: 0 }, 'no bundle row, yet part of it is stored');
      return 'none';
    }
    assert.equal(bundles, 1);
    assert.deepEqual({ samples, series, audits, records: n('SELECT records AS n FROM bundles') }, { samples: ROWS, series: 40, audits: 1, records: ROWS }, 'a partial bundle is stored');
    return 'whole';
  } finally {
    db.close();
  }
}

test(`SIGKILL at random points of an import leaves the whole bundle or none (seed ${SEED})`, async (t) => {
  const rng = new SeededRandom(SEED);
  // Points: one during start-up, four inside the transaction (by how far its log has grown), then one past the end.
  const kills: Kill[] = [{ afterMs: 200 + rng.nextInt(400) }];
  for (let i = 0; i < 4; i++) kills.push({ walBytes: Math.round((1 + i * 8 + rng.nextFloat() * 8) * 1024 * 1024) });
  kills.push({ walBytes: 1024 ** 3 });
  const log: string[] = [];
  let midTransaction = 0;
  let outcome: 'none' | 'whole' = 'none';
  for (const k of kills) {
    const r = await runImport(k);
    const wal = join(home, 'coldroot.db-wal');
    const walBytes = existsSync(wal) ? statSync(wal).size : 0;
    outcome = stateAfterRecovery();
    if (r.signal === 'SIGKILL' && outcome === 'none' && walBytes > 0) midTransaction++;
    log.push(`kill ${k.afterMs !== undefined ? `after ${k.afterMs} ms` : `at WAL >= ${k.walBytes} bytes`}: ${r.signal ?? `exit ${r.code}`}, WAL ${walBytes} bytes, ${outcome === 'none' ? 'nothing stored' : 'whole bundle stored'}`);
    if (r.signal !== 'SIGKILL') {
      assert.equal(r.code, 0, r.stdout);
      assert.equal(JSON.parse(r.stdout).results[0].status, 'accepted');
    }
    if (outcome === 'whole') break;
  }
  for (const l of log) t.diagnostic(l);
  assert.equal(outcome, 'whole', log.join('\n'));
  assert.ok(midTransaction >= 3, `too few kills landed inside the import's transaction:\n${log.join('\n')}`);
  const again = await runImport(null);
  assert.equal(again.code, 0);
  assert.equal(JSON.parse(again.stdout).results[0].status, 'already-imported');
  const svc = ConsoleService.open({ home, operator: 'auditor', readonly: true });
  try {
    assert.equal(svc.auditVerify().ok, true);
  } finally {
    svc.close();
  }
});
