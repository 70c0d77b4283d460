// Worker entry that loads a TypeScript worker module through tsx (source checkouts run .ts directly).
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.__module);
