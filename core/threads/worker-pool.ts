import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { ColdrootError } from '../errors.js';
import { SIGNAL_EXITED, SIGNAL_REPLIES, type TaskReply } from './task-server.js';
import { threadEntry } from './thread-module.js';

/** With no reply from any thread for this long, a synchronous wait gives up (a thread is stuck or ran out of memory). */
const SILENCE_LIMIT_MS = 120_000;

/**
 * A few worker threads running one module (which calls serveTasks), fed round-robin. Each thread
 * replies on its own MessageChannel and counts its replies in shared memory, so a result can be
 * awaited (`run`) or taken synchronously (`submit` + `take`, for work inside a database
 * transaction, which must not await). Every reply passes through one delivery function, so neither
 * path loses the other's messages. Threads are unref'd while idle, so an idle pool never keeps the
 * process alive, and are started once per process (from TypeScript sources, see threadEntry).
 */
export class WorkerPool<Task, Result> {
  readonly size: number;
  readonly #workers: Worker[];
  readonly #ports: MessagePort[] = [];
  /** [SIGNAL_REPLIES]: replies posted by all threads; [SIGNAL_EXITED]: threads that exited. */
  readonly #signal = new Int32Array(new SharedArrayBuffer(8));
  readonly #pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  /** Tasks a synchronous caller will take, and their replies once arrived. */
  readonly #waited = new Set<number>();
  readonly #arrived = new Map<number, TaskReply>();
  #next = 0;
  #broken: Error | null = null;

  constructor(moduleUrl: URL, size = Math.max(1, Math.min(4, availableParallelism()))) {
    this.size = size;
    const entry = threadEntry(moduleUrl);
    this.#workers = Array.from({ length: size }, () => {
      const { port1, port2 } = new MessageChannel();
      const workerData = { ...entry.workerData, replies: port2, signal: this.#signal };
      const w = new Worker(entry.url, { workerData, transferList: [port2] });
      port1.on('message', (m: TaskReply) => this.#deliver(m));
      port1.unref();
      w.unref();
      w.on('error', (e) => this.#fail(e));
      w.on('exit', (code) => this.#fail(new Error(`worker thread exited with code ${code}`)));
      this.#ports.push(port1);
      return w;
    });
  }

  /** Set once a thread has failed; the pool then takes no more work. */
  get broken(): boolean {
    return this.#broken !== null || Atomics.load(this.#signal, SIGNAL_EXITED) > 0;
  }

  run(task: Task): Promise<Result> {
    if (this.#broken) return Promise.reject(this.#broken);
    return new Promise<Result>((resolve, reject) => {
      this.#pending.set(this.#post(task), { resolve, reject });
    });
  }

  /** Starts a task whose result will be taken with `take` (or dropped with `abandon`). */
  submit(task: Task): number {
    if (this.broken) throw this.#deadError();
    const id = this.#post(task);
    this.#waited.add(id);
    return id;
  }

  /** Blocks this thread until the task's reply arrives; throws if a thread failed or all stay silent too long. */
  take(id: number, silenceLimitMs = SILENCE_LIMIT_MS): Result {
    let seen = -1;
    let deadline = 0;
    for (;;) {
      const now = Atomics.load(this.#signal, SIGNAL_REPLIES);
      if (now !== seen) {
        seen = now;
        deadline = Date.now() + silenceLimitMs;
      }
      this.#drain();
      const reply = this.#arrived.get(id);
      if (reply) {
        this.#arrived.delete(id);
        this.#waited.delete(id);
        this.#settle();
        if (reply.error) throw replyError(reply.error);
        return reply.result as Result;
      }
      if (this.broken) throw this.#deadError();
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new ColdrootError('WORKER_THREAD_SILENT', `No reply from the worker threads for ${Math.round(silenceLimitMs / 1000)} s`, 'A thread is stuck or ran out of memory; nothing was stored. Retry with less work at once and report this', 'failure');
      }
      Atomics.wait(this.#signal, SIGNAL_REPLIES, seen, left);
    }
  }

  /** Forgets tasks whose results are no longer wanted (their replies are dropped on arrival). */
  abandon(ids: Iterable<number>): void {
    for (const id of ids) {
      this.#waited.delete(id);
      this.#arrived.delete(id);
    }
    this.#settle();
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }

  #post(task: Task): number {
    const id = this.#next++;
    const i = id % this.size;
    // Keep the process alive while work is outstanding.
    this.#workers[i].ref();
    this.#ports[i].ref();
    this.#workers[i].postMessage({ id, task });
    return id;
  }

  #drain(): void {
    for (const port of this.#ports) {
      for (let m = receiveMessageOnPort(port); m !== undefined; m = receiveMessageOnPort(port)) this.#deliver(m.message as TaskReply);
    }
  }

  /** The one place a reply goes: to its awaiting promise, to a synchronous taker, or (abandoned) nowhere. */
  #deliver(m: TaskReply): void {
    const p = this.#pending.get(m.id);
    if (p) {
      this.#pending.delete(m.id);
      if (m.error) p.reject(replyError(m.error));
      else p.resolve(m.result as Result);
    } else if (this.#waited.has(m.id)) {
      this.#arrived.set(m.id, m);
    }
    this.#settle();
  }

  #settle(): void {
    if (this.#pending.size > 0 || this.#waited.size > 0) return;
    this.#workers.forEach((w) => w.unref());
    this.#ports.forEach((p) => p.unref());
  }

  #fail(e: Error): void {
    this.#broken ??= e;
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  #deadError(): ColdrootError {
    const why = this.#broken ? `: ${this.#broken.message}` : '';
    return new ColdrootError('WORKER_THREAD_DIED', `A worker thread stopped${why}`, 'Nothing was stored; run the operation again (a new pool is started). Report this if it repeats', 'failure');
  }
}

function replyError(e: NonNullable<TaskReply['error']>): ColdrootError {
  return new ColdrootError(e.code, e.message, e.hint, 'failure');
}
