import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAgentConfig } from '../config/agent-config.js';
import { AgentLoop } from '../lifecycle/agent-loop.js';
import type { AgentEvent } from '../state/agent-event.js';
import { StateLayout } from '../state/state-layout.js';
import { runAgent } from './run-agent.js';

// Regression: a stop (SIGTERM) that arrived while a tick or a collection ran was missed by the
// sleep that followed, so the agent slept a whole check interval (1 h by default) before stopping.
test('a stop that arrives during the collection ends the loop at once, not after the check interval', { timeout: 30_000 }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-run-agent-'));
  try {
    const layout = new StateLayout(dir);
    const events: AgentEvent[] = [];
    const config = parseAgentConfig({ host: 'run-01.fleet.example', stateDir: dir, prometheus: { textfile: false } }, 'test config');
    const loop = new AgentLoop({ config, layout, log: (e) => { events.push(e); } });
    const stop = new AbortController();
    let rounds = 0;
    const started = performance.now();
    await runAgent(loop, { signal: stop.signal, collect: async () => { rounds++; stop.abort(); } });
    const ms = performance.now() - started;
    assert.equal(rounds, 1);
    assert.ok(ms < 20_000, `stopped after ${Math.round(ms)} ms`);
    assert.deepEqual(events.map((e) => e.event).filter((e) => e.startsWith('agent-')), ['agent-started', 'agent-stopped']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
