import type { BundleRejectionCode } from '../bundle-rejection.js';
import type { MetricsReadOptions } from './metrics-reader.js';

/** What the main thread tells the metrics worker when it starts it. */
export interface WorkerSetup {
  name: string;
  format: MetricsReadOptions['format'];
  schema: MetricsReadOptions['schema'];
  limits: MetricsReadOptions['limits'];
  /** Compressed chunks the worker asks for ahead of need. */
  prefetch: number;
  batchRows: number;
  maxUnackedBatches: number;
}

/** MetricRow slots carried as numbers (null as NaN) and as text (the four count maps). */
export const NUMBER_SLOTS = [2, 3, 4, 5, 6, 8, 9, 12, 13, 14, 15, 16, 17, 19, 20] as const;
export const TEXT_SLOTS = [7, 10, 11, 18] as const;

/**
 * Rows in columns, so crossing threads costs two transferred buffers and one string instead of a
 * structured clone of every value: row k's numbers are numbers[k * NUMBER_SLOTS.length + j], its
 * maps texts.split('\n')[k * 4 + j], its series seriesIndex[k].
 */
export interface RowBatch {
  /** (host, certificate) pairs first used in this batch, by index. */
  series: Array<[number, string, string]>;
  count: number;
  seriesIndex: Int32Array;
  numbers: Float64Array;
  texts: string;
}

export type ToWorker = { chunk: Uint8Array } | { end: true } | { ack: number };

export type FromWorker =
  | { want: number }
  | { batch: RowBatch }
  | { done: number }
  | { error: { code: BundleRejectionCode | 'INTERNAL'; message: string } };
