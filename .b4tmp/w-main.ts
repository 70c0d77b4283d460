import { Worker } from 'node:worker_threads';
const t0 = performance.now();
const w = new Worker(new URL('./w-wboot.mjs', import.meta.url), { workerData: { entry: new URL('./w-worker.ts', import.meta.url).href } });
w.on('message', (m) => { console.log('got', m, (performance.now() - t0).toFixed(0), 'ms'); w.terminate(); });
w.on('error', (e) => console.log('worker error', e.message));
