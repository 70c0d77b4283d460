import { availableParallelism } from 'node:os';
import { WorkerPool } from '../threads/worker-pool.js';
import type { SeriesRef } from './features/hourly-features.js';
import type { DetectorParams } from './risk-detector.js';
import type { HoldoutTask } from './series-holdout.js';
import type { ScoredRow, ScoringWindow, SeriesTimings } from './series-scoring.js';

/** Work for a thread (risk-worker.ts) on a slice of the fleet's series: score it, or compute its training holdout. */
export type RiskTask =
  | { kind: 'score'; home: string; refs: SeriesRef[]; modelVersion: number; params: DetectorParams; model: Uint8Array; window: ScoringWindow }
  | HoldoutTask;

export interface ScoringReply {
  rows: ScoredRow[];
  timings: SeriesTimings;
}

/** Below this many series, starting threads (each loads the models and opens the database) costs more than it saves. */
export const PARALLEL_MIN_SERIES = 1000;

/** Slices of the fleet per thread: contiguous, so each thread reads neighbouring series. */
const SLICES_PER_THREAD = 8;

let pool: WorkerPool<RiskTask, unknown> | null = null;

/** Threads for a run over `series` series: the caller's choice, else every core from PARALLEL_MIN_SERIES up, else none. */
export function riskThreads(series: number, requested?: number): number {
  return requested ?? (series >= PARALLEL_MIN_SERIES ? availableParallelism() : 1);
}

/**
 * Runs `task(slice)` for contiguous slices of `refs` on `threads` threads (each with its own
 * read-only connection) and yields the replies in the slices' order, so results match a run in
 * this thread. Synchronous (submit + take), so callers need not become async.
 */
export function* inSeriesOrder<R>(refs: readonly SeriesRef[], threads: number, task: (slice: SeriesRef[]) => RiskTask): Generator<R> {
  if (!pool || pool.broken || pool.size !== threads) {
    void pool?.close();
    pool = new WorkerPool<RiskTask, unknown>(new URL('./risk-worker.ts', import.meta.url), threads);
  }
  const p = pool;
  const per = Math.max(1, Math.ceil(refs.length / (threads * SLICES_PER_THREAD)));
  const ids: number[] = [];
  for (let i = 0; i < refs.length; i += per) ids.push(p.submit(task(refs.slice(i, i + per))));
  let k = 0;
  try {
    for (; k < ids.length; k++) yield p.take(ids[k]) as R;
  } finally {
    // A failure (or a consumer that stops early) leaves later replies unwanted.
    if (k < ids.length) p.abandon(ids.slice(k));
  }
}
