import { runBatchTask, type BatchTask } from './issue-worker.js';
import { WorkerPool } from '../../threads/worker-pool.js';

/** Below this many items a thread costs more than it saves: run in this thread. */
export const INLINE_LIMIT = 512;

let pool: WorkerPool<BatchTask, unknown> | null = null;

/** The process's worker threads, started on first use (again if a thread has failed). */
function batchPool(): WorkerPool<BatchTask, unknown> {
  if (!pool || pool.broken) pool = new WorkerPool<BatchTask, unknown>(new URL('./issue-worker.ts', import.meta.url));
  return pool;
}

/** Runs a batch task on the process's worker threads, or inline when small. */
export function runTask<T>(task: BatchTask, size: number): Promise<T> {
  if (size < INLINE_LIMIT) return Promise.resolve(runBatchTask(task) as T);
  return batchPool().run(task) as Promise<T>;
}

/** Starts the threads for a batch of this size now, so they boot while the caller opens its key. */
export function prepareThreads(size: number): void {
  if (size >= INLINE_LIMIT) batchPool();
}
