import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { test } from 'node:test';
import { makeAgentState } from '../testing/agent-state-fixture.js';
import { prunePendingRequests } from './pending-requests.js';

test('old superseded requests are removed; the one in flight, recent ones and half-written ones stay', async () => {
  const s = makeAgentState();
  try {
    const make = (id: string, createdAt: string | null) => {
      mkdirSync(s.layout.pending(id), { recursive: true });
      writeFileSync(`${s.layout.pending(id)}/key.pem`, 'key');
      if (createdAt) writeFileSync(`${s.layout.pending(id)}/request.json`, JSON.stringify({ requestId: id, createdAt }));
    };
    make('old', '2026-01-01T00:00:00.000Z');
    make('old-in-flight', '2026-01-01T00:00:00.000Z');
    make('recent', '2026-03-20T00:00:00.000Z');
    make('half-written', null);
    const removed = await prunePendingRequests(s.layout, new Date('2026-04-01T00:00:00Z'), 28 * 86_400_000, 'old-in-flight');
    assert.deepEqual(removed, ['old']);
    assert.deepEqual(readdirSync(s.layout.pendingDir).sort(), ['half-written', 'old-in-flight', 'recent']);
    assert.deepEqual(await prunePendingRequests(s.layout, new Date('2026-04-01T00:00:00Z'), 28 * 86_400_000, 'old-in-flight'), []);
  } finally {
    s.close();
  }
});
