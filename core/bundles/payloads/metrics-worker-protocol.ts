import type { BundleRejectionCode } from '../bundle-rejection.js';
import type { MetricsReadOptions } from './metrics-reader.js';
import type { MetricRow } from './metrics-validate.js';

/** What the main thread tells the metrics worker when it starts it. */
export interface WorkerSetup {
  name: string;
  format: MetricsReadOptions['format'];
  limits: MetricsReadOptions['limits'];
  /** Compressed chunks the worker asks for ahead of need. */
  prefetch: number;
  batchRows: number;
  maxUnackedBatches: number;
}

export type ToWorker = { chunk: Uint8Array } | { end: true } | { ack: number };

export type FromWorker =
  | { want: number }
  /** `series` names the (host, certificate) pairs first used in this batch; rows carry their index in slot 0. */
  | { series: Array<[number, string, string]>; rows: MetricRow[] }
  | { done: number }
  | { error: { code: BundleRejectionCode | 'INTERNAL'; message: string } };
