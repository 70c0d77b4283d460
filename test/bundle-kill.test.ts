// A `coldroot bundle import` killed with SIGKILL at random points leaves the whole bundle or none of it.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, rmSync, statSync } from 'node:fs';
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

function runImport(killAfterMs: number | null): Promise<{ code: number | null; signal: string | null; stdout: string; ms: number }> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'coldroot.js'), '--home', home, 'bundle', 'import', bundle, '--json'], { env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    let stdout = '';
    child.stdout.on('data', (d) => { stdout += d; });
    const timer = killAfterMs === null ? null : setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    child.on('exit', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, ms: Date.now() - t0 });
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
  // Calibrate on a copy of the home: how long start-up takes, and a whole import.
  const copy = `${home}-calibration`;
  cpSync(home, copy, { recursive: true });
  const boot = await timeCli(['--home', copy, 'bundle', 'import', join(kit.dir, 'no-such.tar'), '--json'], 2);
  const full = await timeCli(['--home', copy, 'bundle', 'import', bundle, '--json']);
  rmSync(copy, { recursive: true, force: true });
  t.diagnostic(`start-up ${boot} ms, whole import ${full} ms`);

  const kills: string[] = [];
  let midTransaction = 0;
  let outcome: 'none' | 'whole' = 'none';
  const attempts = 5;
  for (let i = 0; i < attempts; i++) {
    // Spread over the import, in order, so that most land before it commits.
    const delay = Math.round(boot + ((full - boot) * (i + rng.nextFloat())) / attempts);
    const r = await runImport(delay);
    const wal = join(home, 'coldroot.db-wal');
    const walBytes = existsSync(wal) ? statSync(wal).size : 0;
    outcome = stateAfterRecovery();
    if (r.signal === 'SIGKILL' && outcome === 'none' && walBytes > 1024 * 1024) midTransaction++;
    kills.push(`kill at ${delay} ms: ${r.signal ?? `exit ${r.code}`}, WAL ${walBytes} bytes, ${outcome === 'none' ? 'nothing stored' : 'whole bundle stored'}`);
    if (r.signal !== 'SIGKILL') assert.equal(r.code, 0, r.stdout);
  }
  for (const k of kills) t.diagnostic(k);
  assert.ok(midTransaction >= 1, `no kill landed inside the import's transaction:\n${kills.join('\n')}`);
  if (outcome === 'none') {
    const r = await runImport(null);
    assert.equal(r.code, 0, r.stdout);
    assert.equal(JSON.parse(r.stdout).results[0].status, 'accepted');
    outcome = stateAfterRecovery();
  }
  assert.equal(outcome, 'whole');
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

async function timeCli(args: string[], expectedCode = 0): Promise<number> {
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'coldroot.js'), ...args], { env: { ...process.env, NODE_NO_WARNINGS: '1' }, stdio: 'ignore' });
    child.on('exit', (code) => (code === expectedCode ? resolve() : reject(new Error(`coldroot ${args.join(' ')} exited ${code}`))));
  });
  return Date.now() - t0;
}
