import { parentPort, workerData } from 'node:worker_threads';
import { isBundleRejection } from '../bundle-rejection.js';
import { readMetrics, type MetricsReadOptions } from './metrics-reader.js';
import { NUMBER_SLOTS, type FromWorker, type RowBatch, type ToWorker, type WorkerSetup } from './metrics-worker-protocol.js';

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
// Two tasks wait on messages at once (the input pulled by the decompressor, and the flush waiting
// for acknowledgements), so every waiter is woken by every message and checks its own condition.
let waiters: Array<() => void> = [];
port.on('message', (m: ToWorker) => {
  if ('chunk' in m) queue.push(m.chunk);
  else if ('end' in m) ended = true;
  else if ('ack' in m) unacked -= m.ack;
  const woken = waiters;
  waiters = [];
  for (const wake of woken) wake();
});
const waitForMessage = () => new Promise<void>((resolve) => { waiters.push(resolve); });

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
const WIDTH = NUMBER_SLOTS.length;
let fresh: Array<[number, string, string]> = [];
let count = 0;
let seriesIndex = new Int32Array(setup.batchRows * 2);
let numbers = new Float64Array(setup.batchRows * 2 * WIDTH);
let texts: string[] = [];
let lastHost = '';
let lastCert = '';
let lastIdx = -1;

/** A decompressed chunk can hold a few hundred rows past the batch size. */
function grow(): void {
  const more = new Int32Array(seriesIndex.length * 2);
  more.set(seriesIndex);
  seriesIndex = more;
  const nums = new Float64Array(numbers.length * 2);
  nums.set(numbers);
  numbers = nums;
}

const flush = async () => {
  if (count) {
    const batch: RowBatch = { series: fresh, count, seriesIndex, numbers, texts: texts.join('\n') };
    port.postMessage({ batch } satisfies FromWorker, [seriesIndex.buffer, numbers.buffer]);
    fresh = [];
    count = 0;
    seriesIndex = new Int32Array(setup.batchRows * 2);
    numbers = new Float64Array(setup.batchRows * 2 * WIDTH);
    texts = [];
    unacked++;
  }
  while (unacked > setup.maxUnackedBatches) await waitForMessage();
};

const options: MetricsReadOptions = {
  name: setup.name, format: setup.format, schema: setup.schema, limits: setup.limits,
  onRow: (row) => {
    if (row[0] !== lastHost || row[1] !== lastCert) {
      lastHost = row[0] as string;
      lastCert = row[1] as string;
      const key = `${lastHost}\u0000${lastCert}`;
      const known = series.get(key);
      lastIdx = known ?? series.size;
      if (known === undefined) {
        series.set(key, lastIdx);
        fresh.push([lastIdx, lastHost, lastCert]);
      }
    }
    if (count === seriesIndex.length) grow();
    seriesIndex[count] = lastIdx;
    const base = count * WIDTH;
    for (let j = 0; j < WIDTH; j++) {
      const v = row[NUMBER_SLOTS[j]];
      numbers[base + j] = v === null ? NaN : (v as number);
    }
    texts.push(row[7] as string, row[10] as string, row[11] as string, row[18] as string);
    count++;
  },
  afterChunk: () => (count >= setup.batchRows ? flush() : undefined),
};

try {
  const records = await readMetrics(input(), options);
  await flush();
  post({ done: records });
} catch (e) {
  post({ error: isBundleRejection(e) ? { code: e.code, message: e.message } : { code: 'INTERNAL', message: (e as Error)?.stack ?? String(e) } });
}
