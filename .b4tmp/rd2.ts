import { createReadStream } from 'node:fs';
import { readMetrics } from '../core/bundles/payloads/metrics-reader.ts';
import { DEFAULT_LIMITS } from '../core/bundles/bundle-format.ts';
const fmt = process.argv[2] as 'ndjson' | 'csv';
const t0 = performance.now();
const rec = await readMetrics(createReadStream(`/tmp/b4/m.${fmt}.gz`, { highWaterMark: 1 << 20 }), { name: 'x', format: fmt, limits: DEFAULT_LIMITS, onRow: () => {} });
console.log(fmt, rec, Math.round(rec / ((performance.now() - t0) / 1000)), 'rows/s');
