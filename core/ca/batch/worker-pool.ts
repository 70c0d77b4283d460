import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A few worker threads running one module, fed round-robin; results come back per request id.
 * Threads are unref'd, so an idle pool never keeps the process alive, and are started once per
 * process (a TypeScript worker module is loaded through tsx, as this process is).
 */
export class WorkerPool<Task, Result> {
  readonly size: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (r: Result) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor(moduleUrl: URL, size = Math.max(1, Math.min(4, availableParallelism()))) {
    this.size = size;
    const viaTsx = moduleUrl.pathname.endsWith('.ts');
    const entry = viaTsx ? new URL('./ts-worker-entry.mjs', import.meta.url) : moduleUrl;
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(entry, { workerData: viaTsx ? { __module: moduleUrl.href } : undefined });
      w.unref();
      w.on('message', (m: { id: number; result: Result }) => {
        const p = this.#pending.get(m.id);
        this.#pending.delete(m.id);
        if (this.#pending.size === 0) this.#workers.forEach((x) => x.unref());
        p?.resolve(m.result);
      });
      w.on('error', (e) => this.#failAll(e));
      w.on('exit', (code) => code !== 0 && this.#failAll(new Error(`worker thread exited with code ${code}`)));
      return w;
    });
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  run(task: Task): Promise<Result> {
    const id = this.#next++;
    const worker = this.#workers[id % this.size];
    worker.ref(); // keep the process alive while work is outstanding
    return new Promise<Result>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, task });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
