import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { gzipSync } from 'node:zlib';
import { DEFAULT_LIMITS } from '../bundle-format.js';
import { testSamples } from '../testing/bundle-test-kit.js';
import { METRICS_SCHEMA_V1 } from './metrics-fields.js';
import { CSV_HEADER } from './metrics-validate.js';
import { csvLine } from './metrics-writer.js';
import type { FromWorker, WorkerSetup } from './metrics-worker-protocol.js';
import { threadEntry } from '../../threads/thread-module.js';

// Regression: the worker's input and its flush both waited on "the next message" through one
// callback slot; the second waiter overwrote the first, and a large import hung for good.
test('the metrics worker finishes when its input and its acknowledgements are both slow', async () => {
  const payload = gzipSync(`${CSV_HEADER}\n${testSamples(3000, 6).map((s) => csvLine(s)).join('')}`);
  const chunks: Uint8Array[] = [];
  for (let i = 0; i < payload.length; i += 4096) chunks.push(payload.subarray(i, i + 4096));
  const setup: WorkerSetup = { name: 'metrics.csv.gz', format: 'csv', schema: METRICS_SCHEMA_V1, limits: DEFAULT_LIMITS, prefetch: 1, batchRows: 16, maxUnackedBatches: 0 };
  const entry = threadEntry(new URL('./metrics-worker.ts', import.meta.url));
  const worker = new Worker(entry.url, { workerData: { ...setup, ...entry.workerData } });
  let rows = 0;
  let next = 0;
  const later = (fn: () => void) => setTimeout(fn, 1);
  try {
    const records = await new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`stalled after ${rows} rows and ${next} of ${chunks.length} chunks`)), 20_000);
      worker.on('error', reject);
      worker.on('message', (m: FromWorker) => {
        if ('want' in m) {
          for (let i = 0; i < m.want; i++) later(() => worker.postMessage(next < chunks.length ? { chunk: chunks[next++] } : { end: true }));
        } else if ('batch' in m) {
          rows += m.batch.count;
          later(() => worker.postMessage({ ack: 1 }));
        } else if ('done' in m) {
          clearTimeout(timer);
          resolve(m.done);
        } else if ('error' in m) {
          reject(new Error(m.error.message));
        }
      });
    });
    assert.equal(records, 3000);
    assert.equal(rows, 3000);
  } finally {
    await worker.terminate();
  }
});
