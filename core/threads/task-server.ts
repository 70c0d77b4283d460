import { isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { isColdrootError } from '../errors.js';

/** Indices into the pool's shared Int32Array. */
export const SIGNAL_REPLIES = 0;
export const SIGNAL_EXITED = 1;

export interface TaskReply {
  id: number;
  result?: unknown;
  error?: { code: string; message: string; hint: string };
}

/**
 * The thread side of WorkerPool: runs each task and replies on the thread's own port, then counts
 * the reply in shared memory and wakes a main thread blocked in `take`. A thread that exits says
 * so there too, so a synchronous waiter does not wait for a reply that cannot come.
 */
export function serveTasks(run: (task: never) => unknown): void {
  if (isMainThread || !parentPort) return;
  const { replies, signal } = (workerData ?? {}) as { replies?: MessagePort; signal?: Int32Array };
  if (!replies || !signal) return; // not started by WorkerPool
  const wake = () => {
    Atomics.add(signal, SIGNAL_REPLIES, 1);
    Atomics.notify(signal, SIGNAL_REPLIES);
  };
  process.on('exit', () => {
    Atomics.add(signal, SIGNAL_EXITED, 1);
    wake();
  });
  parentPort.on('message', (msg: { id: number; task: never }) => {
    let reply: TaskReply;
    try {
      reply = { id: msg.id, result: run(msg.task) };
    } catch (e) {
      reply = isColdrootError(e)
        ? { id: msg.id, error: { code: e.code, message: e.message, hint: e.hint } }
        : { id: msg.id, error: { code: 'INTERNAL_ERROR', message: `Batch worker thread: ${(e as Error).message}`, hint: 'This is a Coldroot fault; report it' } };
    }
    replies.postMessage(reply);
    wake();
  });
}
