import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { acquireStateLock, withStateLock } from './state-lock.js';
import { StateLayout } from './state-layout.js';
import { parseAgentConfig } from '../config/agent-config.js';
import { AgentLoop } from '../lifecycle/agent-loop.js';

const REPO = resolve(import.meta.dirname, '..', '..', '..', '..');

function tempLayout(): StateLayout {
  return new StateLayout(mkdtempSync(join(tmpdir(), 'coldroot-state-lock-')));
}

const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
const noSleep = async () => undefined;

describe('state lock', () => {
  test('a second taker is refused while the first holds it (AGENT_BUSY names the holder), then gets it after the release', async () => {
    const layout = tempLayout();
    try {
      const release = await acquireStateLock(layout, { command: 'tick' });
      await assert.rejects(acquireStateLock(layout, { command: 'apply', waitMs: 0, sleep: noSleep }), (e: Error & { code?: string }) => {
        assert.equal(e.code, 'AGENT_BUSY');
        assert.match(e.message, new RegExp(`^Another agent process \\(pid ${process.pid}, 'tick' since .*\\) holds ${layout.root}/agent.lock$`));
        return true;
      });
      await release();
      assert.deepEqual(readdirSync(layout.root), []);
      const again = await acquireStateLock(layout, { command: 'apply', waitMs: 0, sleep: noSleep });
      await again();
    } finally {
      rmSync(layout.root, { recursive: true, force: true });
    }
  });

  test('a waiting taker gets the lock once the holder releases it (injected sleep, no wall-clock wait)', async () => {
    const layout = tempLayout();
    try {
      const release = await acquireStateLock(layout, { command: 'tick' });
      let sleeps = 0;
      const order: string[] = [];
      await withStateLock(layout, { command: 'collect', waitMs: 1000, pollMs: 100, sleep: async () => { sleeps++; order.push('waited'); await release(); } }, async () => { order.push('ran'); });
      assert.equal(sleeps, 1);
      assert.deepEqual(order, ['waited', 'ran']);
    } finally {
      rmSync(layout.root, { recursive: true, force: true });
    }
  });

  test('stale locks are taken over: a dead pid, another boot, a reused pid, our own pid from an earlier life, an unreadable file', async () => {
    const layout = tempLayout();
    const lock = join(layout.root, 'agent.lock');
    try {
      const dead = spawnSync(process.execPath, ['-e', '']).pid!;
      const cases = [
        JSON.stringify({ pid: dead, bootId: bootId(), command: 'tick', since: '2026-01-01T00:00:00.000Z' }),
        JSON.stringify({ pid: process.ppid, bootId: '00000000-0000-0000-0000-000000000000', command: 'tick', since: '2026-01-01T00:00:00.000Z' }),
        // The pid runs, but it is another process than the one that took the lock (started at another time).
        JSON.stringify({ pid: process.ppid, startTime: '1', bootId: bootId(), command: 'tick', since: '2026-01-01T00:00:00.000Z', token: 'a' }),
        // A restarted container's agent is pid 1 again: its own pid in a lock it never took is stale.
        JSON.stringify({ pid: process.pid, bootId: bootId(), command: 'run', since: '2026-01-01T00:00:00.000Z', token: 'b' }),
        '{"pid": 12',
      ];
      for (const content of cases) {
        writeFileSync(lock, content);
        const release = await acquireStateLock(layout, { command: 'apply', waitMs: 0, sleep: noSleep });
        assert.equal(JSON.parse(readFileSync(lock, 'utf8')).pid, process.pid, content);
        await release();
      }
    } finally {
      rmSync(layout.root, { recursive: true, force: true });
    }
  });

  test('across processes: held by another process it is busy; after that process is SIGKILLed it is taken over', async () => {
    const layout = tempLayout();
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { acquireStateLock } = await import(${JSON.stringify(join(REPO, 'agent-bundle/src/agent/state/state-lock.ts'))});
      const { StateLayout } = await import(${JSON.stringify(join(REPO, 'agent-bundle/src/agent/state/state-layout.ts'))});
      await acquireStateLock(new StateLayout(${JSON.stringify(layout.root)}), { command: 'run' });
      process.stdout.write('locked\\n');
      setInterval(() => {}, 1000);
    `], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const [chunk] = await once(holder.stdout!, 'data') as [Buffer];
      assert.equal(chunk.toString().trim(), 'locked');
      await assert.rejects(acquireStateLock(layout, { command: 'apply', waitMs: 0, sleep: noSleep }), new RegExp(`pid ${holder.pid}, 'run'`));
      holder.kill('SIGKILL');
      await once(holder, 'exit');
      const release = await acquireStateLock(layout, { command: 'apply', waitMs: 0, sleep: noSleep });
      await release();
    } finally {
      holder.kill('SIGKILL');
      rmSync(layout.root, { recursive: true, force: true });
    }
  });

  test('one AgentLoop runs its operations one at a time (tick, apply, collect share the lock), and a failure frees it', async () => {
    const layout = tempLayout();
    try {
      const loop = new AgentLoop({ config: parseAgentConfig({ host: 'lock.example', stateDir: layout.root }, 'test config'), layout, log: () => undefined, lock: { waitMs: 0, sleep: noSleep } });
      const order: string[] = [];
      let open!: () => void;
      const gate = new Promise<void>((r) => { open = r; });
      let started!: () => void;
      const running = new Promise<void>((r) => { started = r; });
      const first = loop.exclusive('tick', async () => { order.push('tick start'); started(); await gate; order.push('tick end'); });
      const second = loop.exclusive('apply', async () => { order.push('apply'); throw new Error('apply failed'); });
      const third = loop.exclusive('collect', async () => { order.push('collect'); });
      await running;
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      assert.deepEqual(order, ['tick start'], 'apply and collect wait while tick holds the lock');
      open();
      await first;
      await assert.rejects(second, /apply failed/);
      await third;
      assert.deepEqual(order, ['tick start', 'tick end', 'apply', 'collect']);
      assert.equal(readdirSync(layout.root).includes('agent.lock'), false);
    } finally {
      rmSync(layout.root, { recursive: true, force: true });
    }
  });
});
