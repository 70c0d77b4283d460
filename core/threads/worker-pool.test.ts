// WorkerPool: replies awaited and taken synchronously through one delivery path; a thread that
// throws, dies or stays silent gives a clear error instead of a hang; from TypeScript sources a
// thread runs an esbuild bundle of its module in which every module still knows its own URL.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { ColdrootError } from '../errors.js';
import type { TestTask } from './worker-pool-test-worker.js';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { nativeEcVerify } from '../native/ec-verify/index.js';
import { bundledThreadModule } from './thread-module.js';
import { WorkerPool } from './worker-pool.js';

const moduleUrl = new URL('./worker-pool-test-worker.ts', import.meta.url);
const code = (c: string) => (e: ColdrootError) => { assert.equal(e.code, c, e.message); return true; };

test('awaited and synchronously taken replies interleave without either path losing one', async () => {
  const pool = new WorkerPool<TestTask, unknown>(moduleUrl, 2);
  try {
    const awaited = [1, 2, 3].map((value) => pool.run({ kind: 'echo', value }));
    const taken = [10, 20, 30, 40].map((value) => pool.submit({ kind: 'echo', value }));
    const abandoned = pool.submit({ kind: 'echo', value: 99 });
    pool.abandon([abandoned]);
    assert.deepEqual(taken.reverse().map((id) => pool.take(id)), [80, 60, 40, 20]);
    assert.deepEqual(await Promise.all(awaited), [2, 4, 6]);
    assert.equal(await pool.run({ kind: 'echo', value: 5 }), 10);
    assert.throws(() => pool.take(pool.submit({ kind: 'throw' })), code('TEST_REFUSED'));
    await assert.rejects(pool.run({ kind: 'throw' }), code('TEST_REFUSED'));
  } finally {
    await pool.close();
  }
});

test('a thread that dies ends a synchronous wait at once with WORKER_THREAD_DIED, and the pool reports itself broken', async () => {
  const pool = new WorkerPool<TestTask, unknown>(moduleUrl, 1);
  try {
    const id = pool.submit({ kind: 'exit' });
    const t = Date.now();
    assert.throws(() => pool.take(id), code('WORKER_THREAD_DIED'));
    assert.ok(Date.now() - t < 10_000);
    assert.equal(pool.broken, true);
    assert.throws(() => pool.submit({ kind: 'echo', value: 1 }), code('WORKER_THREAD_DIED'));
  } finally {
    await pool.close();
  }
});

test('threads silent for longer than the limit end a synchronous wait with WORKER_THREAD_SILENT', async () => {
  const pool = new WorkerPool<TestTask, unknown>(moduleUrl, 1);
  try {
    assert.equal(pool.take(pool.submit({ kind: 'echo', value: 1 })), 2); // the thread is up
    assert.throws(() => pool.take(pool.submit({ kind: 'busy', ms: 1500 }), 300), code('WORKER_THREAD_SILENT'));
  } finally {
    await pool.close();
  }
});

test('from TypeScript sources a thread runs a bundle of its module, and each bundled module keeps its own URL', async () => {
  const bundle = bundledThreadModule(moduleUrl);
  assert.ok(bundle, 'esbuild bundles the worker module');
  assert.match(fileURLToPath(bundle), /node_modules\/\.cache\/coldroot-threads\/[0-9a-f]{32}\.mjs$/);
  const code = readFileSync(bundle, 'utf8');
  assert.ok(!code.includes('import.meta'), 'no import.meta is left to point at the bundle');
  assert.equal(bundledThreadModule(moduleUrl)?.href, bundle.href, 'built once per process');
  const pool = new WorkerPool<TestTask, unknown>(moduleUrl, 1);
  try {
    assert.equal(await pool.run({ kind: 'url' }), moduleUrl.href);
    // The addon is found beside its own source (core/native/ec-verify), as in this thread.
    assert.equal(await pool.run({ kind: 'native' }), nativeEcVerify.reason);
  } finally {
    await pool.close();
  }
});
