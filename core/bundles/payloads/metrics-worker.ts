import { parentPort, workerData } from 'node:worker_threads';
import { isBundleRejection } from '../bundle-rejection.js';
import { readMetrics, type MetricsReadOptions } from './metrics-reader.js';
import type { MetricRow } from './metrics-validate.js';
import type { FromWorker, ToWorker, WorkerSetup } from './metrics-worker-protocol.js';

/*
 * Parses one metric file off the main thread: compressed chunks come in on demand, validated rows
 * go out in batches with each (host, certificate) named once; both directions are flow-controlled
 * so neither side's queue grows with the file.
 */
const port = parentPort!;
const setup = workerData as WorkerSetup;
const post = (m: FromWorker) => port.postMessage(m);

const queue: Uint8Array[] = [];
let ended = false;
let unacked = 0;
let wake: (() => void) | null = null;
port.on('message', (m: ToWorker) => {
  if ('chunk' in m) queue.push(m.chunk);
  else if ('end' in m) ended = true;
  else if ('ack' in m) unacked -= m.ack;
  wake?.();
});
const waitForMessage = () => new Promise<void>((resolve) => { wake = () => { wake = null; resolve(); }; });

async function* input(): AsyncGenerator<Uint8Array> {
  post({ want: setup.prefetch });
  for (;;) {
    const c = queue.shift();
    if (c) {
      post({ want: 1 });
      yield c;
    } else if (ended) {
      return;
    } else {
      await waitForMessage();
    }
  }
}

const series = new Map<string, number>();
let fresh: Array<[number, string, string]> = [];
let batch: MetricRow[] = [];
const flush = async () => {
  if (batch.length) {
    post({ series: fresh, rows: batch });
    fresh = [];
    batch = [];
    unacked++;
  }
  while (unacked > setup.maxUnackedBatches) await waitForMessage();
};

const options: MetricsReadOptions = {
  name: setup.name, format: setup.format, limits: setup.limits,
  onRow: (row) => {
    const key = `${row[0]}\u0000${row[1]}`;
    let idx = series.get(key);
    if (idx === undefined) {
      idx = series.size;
      series.set(key, idx);
      fresh.push([idx, row[0] as string, row[1] as string]);
    }
    row[0] = idx;
    row[1] = null;
    batch.push(row);
  },
  afterChunk: () => (batch.length >= setup.batchRows ? flush() : undefined),
};

try {
  const records = await readMetrics(input(), options);
  await flush();
  post({ done: records });
} catch (e) {
  post({ error: isBundleRejection(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: (e as Error)?.stack ?? String(e) } });
}
