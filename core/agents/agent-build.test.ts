import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ColdrootError } from '../errors.js';
import { buildAgent } from './agent-build.js';

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
});
