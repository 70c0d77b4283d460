// The fleet simulator script: deterministic for a seed, and everything it writes imports cleanly.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { ConsoleService } from '../core/api/console-service.js';
import { REPO_ROOT } from './helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-fleet-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function simulate(out: string, seed: number, extra: string[] = []): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'fleet-simulate.ts'), '--hosts', '3', '--days', '2', '--seed', String(seed), '--out', out, '--quiet', ...extra], { cwd: REPO_ROOT, encoding: 'utf8', env: { ...process.env, NODE_NO_WARNINGS: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const manifests = (out: string) => (JSON.parse(readFileSync(join(out, 'fleet.json'), 'utf8')).bundles as string[]).map((b) => {
  const listing = spawnSync('tar', ['xOf', b, 'manifest.json'], { encoding: 'utf8' });
  return JSON.parse(listing.stdout) as { bundleId: string; sequence: number; files: Array<{ sha256: string; records: number }> };
});

let first: ReturnType<typeof simulate>;
before(() => {
  first = simulate(join(dir, 'a'), 7, ['--start', '2026-03-02']);
});

test('writes a home, CA certificates, one signed bundle per host and day, and fleet.json', () => {
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /3 hosts, 2 days from 2026-03-02: 1728 samples in 6 bundles/);
  const fleet = JSON.parse(readFileSync(join(dir, 'a', 'fleet.json'), 'utf8'));
  assert.equal(fleet.hosts.length, 3);
  assert.deepEqual(manifests(join(dir, 'a')).map((m) => [m.sequence, m.files[0].records]).sort(), [[1, 288], [1, 288], [1, 288], [2, 288], [2, 288], [2, 288]]);
});

test('the same seed gives the same certificates, manifests and payloads; another seed does not', () => {
  const again = simulate(join(dir, 'b'), 7, ['--start', '2026-03-02']);
  assert.equal(again.code, 0, again.stderr);
  const key = (out: string) => manifests(out).map((m) => JSON.stringify(m)).sort();
  assert.deepEqual(key(join(dir, 'b')), key(join(dir, 'a')));
  const hosts = (out: string) => JSON.parse(readFileSync(join(out, 'fleet.json'), 'utf8')).hosts;
  assert.deepEqual(hosts(join(dir, 'b')), hosts(join(dir, 'a')));
  assert.deepEqual(readFileSync(join(dir, 'b', 'ca', 'device-ca.pem')), readFileSync(join(dir, 'a', 'ca', 'device-ca.pem')));
  const other = simulate(join(dir, 'c'), 8, ['--start', '2026-03-02', '--format', 'ndjson']);
  assert.equal(other.code, 0, other.stderr);
  assert.notDeepEqual(key(join(dir, 'c')), key(join(dir, 'a')));
});

test('every bundle imports into the simulated console home', async () => {
  const fleet = JSON.parse(readFileSync(join(dir, 'a', 'fleet.json'), 'utf8'));
  const svc = ConsoleService.open({ home: fleet.home, operator: 'tester', now: () => new Date('2026-03-05T00:00:00Z') });
  try {
    const results = await svc.importBundles(fleet.bundles);
    assert.deepEqual(results.map((r) => r.status), fleet.bundles.map(() => 'accepted'));
    assert.equal((svc.store.db.prepare('SELECT count(*) AS n FROM metric_samples').get() as { n: number }).n, 1728);
    assert.equal((svc.store.db.prepare('SELECT count(*) AS n FROM metric_series').get() as { n: number }).n, 3);
  } finally {
    svc.close();
  }
});

test('bad options are refused with exit 2', () => {
  const r = simulate(join(dir, 'a'), 7);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /not empty/);
  assert.equal(spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts', 'fleet-simulate.ts')], { cwd: REPO_ROOT, encoding: 'utf8' }).status, 2);
});
