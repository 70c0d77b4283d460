import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { BundleLimits } from '../bundle-format.js';
import { BundleRejection } from '../bundle-rejection.js';
import { readMetrics, type MetricsFormat } from './metrics-reader.js';
import type { MetricRow } from './metrics-validate.js';
import type { FromWorker, ToWorker, WorkerSetup } from './metrics-worker-protocol.js';

/** auto: parse large files in a worker thread, small ones here; always / never force one way (tests, benchmarks). */
export type MetricsParallelism = 'auto' | 'always' | 'never';

/** Below this stored size a worker's start-up (~0.3 s) costs more than it saves. */
export const WORKER_THRESHOLD_BYTES = 4 * 1024 * 1024;

export interface MetricsFileOptions {
  name: string;
  format: MetricsFormat;
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
  const worker = o.parallel === 'always' || (o.parallel === 'auto' && o.compressedSize >= WORKER_THRESHOLD_BYTES);
  return worker ? readInWorker(chunks, o) : readHere(chunks, o);
}

function readHere(chunks: AsyncIterable<Uint8Array>, o: MetricsFileOptions): Promise<number> {
  const series = new Map<string, number>();
  return readMetrics(chunks, {
    name: o.name, format: o.format, limits: o.limits,
    onRow: (row) => {
      const key = `${row[0]}\u0000${row[1]}`;
      let id = series.get(key);
      if (id === undefined) {
        id = o.seriesId(row[0] as string, row[1] as string);
        series.set(key, id);
      }
      row[0] = id;
      o.onRow(row);
    },
  });
}

const here = fileURLToPath(import.meta.url);

function readInWorker(chunks: AsyncIterable<Uint8Array>, o: MetricsFileOptions): Promise<number> {
  const setup: WorkerSetup = { name: o.name, format: o.format, limits: { maxDecompressedBytes: o.limits.maxDecompressedBytes, maxCompressionRatio: o.limits.maxCompressionRatio, maxLineBytes: o.limits.maxLineBytes }, prefetch: 4, batchRows: 2000, maxUnackedBatches: 4 };
  const entry = new URL(`./metrics-worker${extname(here)}`, import.meta.url).href;
  const worker = new Worker(new URL('./metrics-worker-boot.mjs', import.meta.url), { workerData: { ...setup, entry } });
  const send = (m: ToWorker) => worker.postMessage(m);
  const it = chunks[Symbol.asyncIterator]();
  const ids: number[] = [];

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
        } else if ('rows' in m) {
          for (const [idx, host, cert] of m.series) ids[idx] = o.seriesId(host, cert);
          for (const row of m.rows) {
            row[0] = ids[row[0] as number];
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
