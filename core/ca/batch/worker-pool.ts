import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

/**
 * A few worker threads running one module, fed round-robin; results come back per request id.
 * Worker modules are TypeScript here, so each worker loads the same tsx loader as this process.
 */
export class WorkerPool<Req, Res> {
  readonly size: number;
  readonly #workers: Worker[];
  readonly #pending = new Map<number, { resolve: (r: Res) => void; reject: (e: Error) => void }>();
  #next = 0;

  constructor(moduleUrl: URL, workerData: unknown, size = Math.max(1, Math.min(4, availableParallelism()))) {
    this.size = size;
    const viaTsx = moduleUrl.pathname.endsWith('.ts');
    const entry = viaTsx ? new URL('./ts-worker-entry.mjs', import.meta.url) : moduleUrl;
    const data = viaTsx ? { ...(workerData as object), __module: moduleUrl.href } : workerData;
    this.#workers = Array.from({ length: size }, () => {
      const w = new Worker(entry, { workerData: data });
      w.on('message', (m: { id: number; result: Res }) => {
        this.#pending.get(m.id)?.resolve(m.result);
        this.#pending.delete(m.id);
      });
      w.on('error', (e) => this.#failAll(e));
      w.on('exit', (code) => code !== 0 && this.#failAll(new Error(`batch worker exited with code ${code}`)));
      return w;
    });
  }

  #failAll(e: Error): void {
    for (const p of this.#pending.values()) p.reject(e);
    this.#pending.clear();
  }

  run(request: Req): Promise<Res> {
    const id = this.#next++;
    const worker = this.#workers[id % this.size];
    return new Promise<Res>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ id, ...request });
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.#workers.map((w) => w.terminate()));
  }
}
