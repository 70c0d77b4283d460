// Entry of the metrics parsing worker. When Coldroot runs from its TypeScript sources (through
// tsx, as bin/coldroot.js and the tests do), a worker thread needs the loader registered again.
import { workerData } from 'node:worker_threads';

if (workerData.entry.endsWith('.ts')) {
  const { register } = await import('tsx/esm/api');
  register();
}
await import(workerData.entry);
