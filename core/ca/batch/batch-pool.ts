import { runBatchTask, type BatchTask } from './issue-worker.js';
import { WorkerPool } from './worker-pool.js';

/** Below this many items a thread costs more than it saves: run in this thread. */
export const INLINE_LIMIT = 512;

let pool: WorkerPool<BatchTask, unknown> | null = null;

/** Runs a batch task on the process's worker threads (started on first use), or inline when small. */
export function runTask<T>(task: BatchTask, size: number): Promise<T> {
  if (size < INLINE_LIMIT) return Promise.resolve(runBatchTask(task) as T);
  pool ??= new WorkerPool<BatchTask, unknown>(new URL('./issue-worker.ts', import.meta.url));
  return pool.run(task) as Promise<T>;
}
