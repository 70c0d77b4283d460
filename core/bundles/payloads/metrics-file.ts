import { availableParallelism } from 'node:os';
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BundleLimits } from '../bundle-format.js';
import { BundleRejection } from '../bundle-rejection.js';
import { readMetrics, type MetricsFormat } from './metrics-reader.js';
import type { MetricRow } from './metrics-validate.js';
import type { MetricsSchema } from './metrics-fields.js';
import { NUMBER_SLOTS, TEXT_SLOTS, type FromWorker, type ToWorker, type WorkerSetup } from './metrics-worker-protocol.js';
import { threadEntry } from '../../threads/thread-module.js';

/** auto: parse large files in a worker thread when the machine has a second core, else here; always / never force one way (tests, benchmarks). */
export type MetricsParallelism = 'auto' | 'always' | 'never';

/** Below this stored size a worker's start-up (~0.3 s) costs more than it saves. */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

export interface MetricsFileOptions {
  name: string;
  format: MetricsFormat;
  schema: MetricsSchema;
  limits: Pick<BundleLimits, 'maxDecompressedBytes' | 'maxCompressionRatio' | 'maxLineBytes'>;
  parallel: MetricsParallelism;
  /** Stored size of the file, to choose the thread. */
  compressedSize: number;
  seriesId: (host: string, cert: string) => number;
  /** Receives each row with slot 0 = series id and slot 1 free. */
  onRow: (row: MetricRow) => void;
}

/**
 * Reads one metric payload file and returns its sample count. Rows reach `onRow` on the calling
 * thread either way; with a worker, decompression and parsing run beside the caller's inserts,
 * which on two cores brings the import close to the raw insert rate.
 */
export function readMetricsFile(chunks: AsyncIterable<Uint8Array>, o: MetricsFileOptions): Promise<number> {
  const worker = o.parallel === 'always' || (o.parallel === 'auto' && o.compressedSize >= WORKER_THRESHOLD_BYTES && hasSecondCore());
  return worker ? readInWorker(chunks, o) : readHere(chunks, o);
}

/**
 * A second thread pays whenever there is a second core: parsing overlaps the inserts (65% of the
 * raw insert rate against 44% on one thread, measured on 2 cores). The load average is no guide:
 * it lags a minute behind and counts work that has already finished.
 */
function hasSecondCore(): boolean {
  return availableParallelism() >= 2;
}

function readHere(chunks: AsyncIterable<Uint8Array>, o: MetricsFileOptions): Promise<number> {
  const series = new Map<string, number>();
  let lastHost = '';
  let lastCert = '';
  let lastId = 0;
  return readMetrics(chunks, {
    name: o.name, format: o.format, schema: o.schema, limits: o.limits,
    onRow: (row) => {
      // Rows come host by host, so the previous series is usually the one.
      if (row[0] !== lastHost || row[1] !== lastCert) {
        lastHost = row[0] as string;
        lastCert = row[1] as string;
        const key = `${lastHost}\u0000${lastCert}`;
        const known = series.get(key);
        lastId = known ?? o.seriesId(lastHost, lastCert);
        if (known === undefined) series.set(key, lastId);
      }
      row[0] = lastId;
      o.onRow(row);
    },
  });
}

const here = fileURLToPath(import.meta.url);

function readInWorker(chunks: AsyncIterable<Uint8Array>, o: MetricsFileOptions): Promise<number> {
  const setup: WorkerSetup = { name: o.name, format: o.format, schema: o.schema, limits: { maxDecompressedBytes: o.limits.maxDecompressedBytes, maxCompressionRatio: o.limits.maxCompressionRatio, maxLineBytes: o.limits.maxLineBytes }, prefetch: 2, batchRows: 256, maxUnackedBatches: 8 };
  const entry = threadEntry(new URL(`./metrics-worker${extname(here)}`, import.meta.url));
  // A small heap: the worker holds a few batches and one line at a time. Batches stay small (tens of
  // kilobytes of text) so that their strings die young instead of piling up in the old generation.
  const worker = new Worker(entry.url, { workerData: { ...setup, ...entry.workerData }, resourceLimits: { maxYoungGenerationSizeMb: 8, maxOldGenerationSizeMb: 32 } });
  const send = (m: ToWorker) => worker.postMessage(m);
  const it = chunks[Symbol.asyncIterator]();
  const ids: number[] = [];
  const row: MetricRow = new Array(21).fill(null);

  return new Promise<number>((resolve, reject) => {
    let settled = false;
    let credit = 0;
    let pumping = false;
    let sourceDone = false;
    const finish = (err: unknown, records?: number) => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      if (err) reject(err);
      else resolve(records!);
    };
    // One reader of the chunk iterator at a time; it runs while the worker has credit.
    const pump = async () => {
      if (pumping || sourceDone) return;
      pumping = true;
      try {
        while (credit > 0 && !settled) {
          const r = await it.next();
          if (r.done) {
            sourceDone = true;
            send({ end: true });
            break;
          }
          credit--;
          send({ chunk: r.value });
        }
      } catch (e) {
        finish(e);
      } finally {
        pumping = false;
      }
    };
    worker.on('message', (m: FromWorker) => {
      if (settled) return;
      try {
        if ('want' in m) {
          credit += m.want;
          void pump();
        } else if ('batch' in m) {
          const b = m.batch;
          for (const [idx, host, cert] of b.series) ids[idx] = o.seriesId(host, cert);
          const texts = b.texts;
          let at = 0;
          // One row array, refilled per row: the INSERT binds its values as it runs.
          for (let k = 0; k < b.count; k++) {
            row[0] = ids[b.seriesIndex[k]];
            const base = k * NUMBER_SLOTS.length;
            for (let j = 0; j < NUMBER_SLOTS.length; j++) {
              const v = b.numbers[base + j];
              row[NUMBER_SLOTS[j]] = v !== v ? null : v;
            }
            for (let j = 0; j < TEXT_SLOTS.length; j++) {
              const end = texts.indexOf('\n', at);
              row[TEXT_SLOTS[j]] = texts.slice(at, end < 0 ? texts.length : end);
              at = end + 1;
            }
            o.onRow(row);
          }
          send({ ack: 1 });
        } else if ('done' in m) {
          finish(null, m.done);
        } else if ('error' in m) {
          finish(m.error.code === 'INTERNAL' ? new Error(`metrics worker failed: ${m.error.message}`) : new BundleRejection(m.error.code, m.error.message));
        }
      } catch (e) {
        finish(e);
      }
    });
    worker.on('error', (e) => finish(e));
    worker.on('exit', (code) => finish(new Error(`metrics worker exited with code ${code} before finishing ${o.name}`)));
  });
}
