import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ColdrootError } from '../errors.js';
import { buildAgent, buildAgentCommonJs } from './agent-build.js';

describe('agent build', () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-agent-build-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a native module anywhere in the graph fails the build, naming the importer, and leaves no file', async () => {
    const out = join(dir, 'native.mjs');
    await assert.rejects(buildAgent({ entry: 'core/agents/testing/native-import-entry.ts', outFile: out }), (e: unknown) => {
      assert.ok(e instanceof ColdrootError);
      assert.equal(e.code, 'AGENT_NATIVE_IMPORT');
      assert.equal(e.message, 'The agent bundle may not load native modules or the console store: core/agents/testing/native-import-helper.ts imports better-sqlite3 (native module better-sqlite3)');
      return true;
    });
    assert.equal(existsSync(out), false);
  });

  test('an existing output is refused; SEA is reported as skipped with its reason when not requested', async () => {
    const out = join(dir, 'front.mjs');
    const r = await buildAgent({ entry: 'agent-bundle/src/agent/main.ts', outFile: out });
    assert.deepEqual(r.sea, { status: 'skipped', reason: 'not requested' });
    assert.ok(r.size > 10_000 && /^[0-9a-f]{64}$/.test(r.sha256));
    const run = spawnSync(process.execPath, [out, '--help'], { cwd: dir, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    await assert.rejects(buildAgent({ entry: 'agent-bundle/src/agent/main.ts', outFile: out }), { code: 'OUTPUT_EXISTS' });
  });

  test('the CommonJS build a single executable embeds runs without node_modules: check-config, status --json, a bad config is exit 2', async () => {
    const work = join(dir, 'cjs');
    mkdirSync(work);
    const script = join(work, 'agent.cjs');
    await buildAgentCommonJs('agent-bundle/src/agent/main.ts', script);
    const config = join(work, 'config.json');
    writeFileSync(config, JSON.stringify({ host: 'sea-01.fleet.example', stateDir: join(work, 'state') }));
    const check = spawnSync(process.execPath, [script, '--config', config, 'check-config'], { cwd: work, encoding: 'utf8' });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(JSON.parse(check.stdout).effective.host, 'sea-01.fleet.example');
    const status = spawnSync(process.execPath, [script, '--config', config, 'status', '--json'], { cwd: work, encoding: 'utf8' });
    assert.equal(status.status, 0, status.stderr);
    assert.equal(JSON.parse(status.stdout).certificate.state, 'missing');
    writeFileSync(config, JSON.stringify({ host: 'sea-01.fleet.example', colour: 'blue' }));
    const bad = spawnSync(process.execPath, [script, '--config', config, 'check-config'], { cwd: work, encoding: 'utf8' });
    assert.equal(bad.status, 2, bad.stderr);
    assert.match(bad.stderr, /colour/);
  });

  test('with SEA requested: built and runnable where postject is installed, else skipped for want of postject alone', async () => {
    const out = join(dir, 'sea.mjs');
    const r = await buildAgent({ entry: 'agent-bundle/src/agent/main.ts', outFile: out, sea: true });
    if (r.sea.status === 'built') {
      const run = spawnSync(r.sea.path, ['--help'], { cwd: dir, encoding: 'utf8' });
      assert.equal(run.status, 0, run.stderr);
      assert.match(run.stdout, /coldroot-agent/);
    } else {
      assert.match(r.sea.reason, /^postject is not installed/);
    }
  });
});
