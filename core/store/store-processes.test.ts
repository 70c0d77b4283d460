// Crosses a process boundary on purpose: the home lock exists to keep two processes apart.
import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { openStore } from './database.js';
import { readHomeLock } from './home-lock.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../..');

/** Child: opens the home (or only locks it), reports on stdout, then waits for 'exit' or 'crash'. */
const CHILD = `
const [mode, home] = process.argv.slice(2);
const { openStore } = await import(${JSON.stringify(pathToFileURL(path.join(here, 'database.ts')).href)});
let store;
try {
  store = openStore(home);
} catch (e) {
  console.log(JSON.stringify({ code: e.code, message: e.message, hint: e.hint }));
  process.exit(3);
}
if (mode === 'commit-then-crash') {
  store.transaction(() => store.audit.append({ actor: 'child', action: 'test.commit' }, new Date('2026-03-01T00:00:00Z')));
  console.log('committed');
  process.kill(process.pid, 'SIGKILL');
}
console.log('acquired');
process.stdin.setEncoding('utf8');
process.stdin.on('data', (d) => {
  if (d.includes('crash')) process.kill(process.pid, 'SIGKILL');
  if (d.includes('exit')) process.exit(0);
});
`;

interface Child {
  proc: ChildProcessWithoutNullStreams;
  firstLine: Promise<string>;
}

describe('home lock across processes', { timeout: 30_000 }, () => {
  let dir: string;
  let home: string;
  let script: string;

  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-procs-'));
    home = path.join(dir, 'home');
    script = path.join(dir, 'child.mjs');
    fs.writeFileSync(script, CHILD);
    openStore(home, { create: true }).close();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));
  // A failed assertion must not leave a child holding stdin open (and the run hanging).
  const children: ChildProcessWithoutNullStreams[] = [];
  afterEach(() => {
    for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  });

  function startChild(mode: 'hold' | 'commit-then-crash'): Child {
    const proc = spawn(process.execPath, ['--import', 'tsx', script, mode, home], { cwd: repoRoot, stdio: 'pipe' });
    children.push(proc);
    const firstLine = new Promise<string>((resolve, reject) => {
      let out = '';
      proc.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const nl = out.indexOf('\n');
        if (nl !== -1) resolve(out.slice(0, nl));
      });
      proc.on('exit', (code, signal) => resolve(out || `exited ${code ?? signal}`));
      proc.on('error', reject);
    });
    return { proc, firstLine };
  }

  test('a second process is refused while the first holds the home, and gets it after a clean exit', async () => {
    const child = startChild('hold');
    assert.equal(await child.firstLine, 'acquired');
    const pid = child.proc.pid!;
    assert.throws(() => openStore(home), {
      code: 'HOME_LOCKED',
      message: new RegExp(`^Home ${home} is in use by Coldroot process ${pid} \\(started `),
      hint: `Close the other Coldroot process (pid ${pid}), or delete ${path.join(home, 'coldroot.lock')} if that process is gone`,
    });
    child.proc.stdin.write('exit\n');
    const [code] = await once(child.proc, 'exit');
    assert.equal(code, 0);
    assert.equal(readHomeLock(home), null, 'the exit handler removed the lock');
    openStore(home).close();
  });

  test('a process killed while holding the home leaves a stale lock that the next one takes over', async () => {
    const child = startChild('hold');
    assert.equal(await child.firstLine, 'acquired');
    child.proc.stdin.write('crash\n');
    const [, signal] = await once(child.proc, 'exit');
    assert.equal(signal, 'SIGKILL');
    assert.equal(readHomeLock(home)?.pid, child.proc.pid, 'a killed process cannot clean up');
    const store = openStore(home);
    assert.equal(readHomeLock(home)?.pid, process.pid);
    store.close();
  });

  test('of several processes racing for a stale lock, exactly one wins', async () => {
    const crashed = startChild('hold');
    assert.equal(await crashed.firstLine, 'acquired');
    crashed.proc.stdin.write('crash\n');
    await once(crashed.proc, 'exit');

    const racers = [0, 1, 2, 3].map(() => startChild('hold'));
    const results = await Promise.all(racers.map((r) => r.firstLine));
    const winners = racers.filter((_, i) => results[i] === 'acquired');
    assert.equal(winners.length, 1, results.join('\n'));
    const winnerPid = winners[0].proc.pid;
    for (const r of results.filter((x) => x !== 'acquired')) {
      const err = JSON.parse(r) as { code: string; message: string };
      assert.equal(err.code, 'HOME_LOCKED');
      assert.match(err.message, new RegExp(`process ${winnerPid} `));
    }
    assert.equal(readHomeLock(home)?.pid, winnerPid);
    winners[0].proc.stdin.write('exit\n');
    await Promise.all(racers.map((r) => (r.proc.exitCode === null && r.proc.signalCode === null ? once(r.proc, 'exit') : null)));
    assert.equal(readHomeLock(home), null);
  });

  test('a write confirmed just before the process is killed is there afterwards, with its audit entry', async () => {
    const child = startChild('commit-then-crash');
    assert.equal(await child.firstLine, 'committed');
    await once(child.proc, 'exit');
    const store = openStore(home);
    const entries = store.audit.list({ action: 'test.commit' });
    assert.equal(entries.length, 1);
    assert.equal(entries[0].actor, 'child');
    assert.equal(store.audit.verify().ok, true);
    store.close();
  });
});
