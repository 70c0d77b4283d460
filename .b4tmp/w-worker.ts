import { parentPort } from 'node:worker_threads';
import { CSV_HEADER } from '../core/bundles/payloads/metrics-validate.ts';
const x: number = 1;
parentPort!.postMessage(CSV_HEADER.slice(0, 10) + x);
