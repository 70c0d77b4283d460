import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
const text = gunzipSync(readFileSync('/tmp/b4/m.ndjson.gz')).toString('utf8');
const lines = text.split('\n'); lines.pop();
let t0 = performance.now();
for (const l of lines) JSON.parse(l);
console.log('per-line parse us', ((performance.now() - t0) * 1000 / lines.length).toFixed(2));
t0 = performance.now();
for (let i = 0; i < lines.length; i += 100) JSON.parse('[' + lines.slice(i, i + 100).join(',') + ']');
console.log('batch parse us', ((performance.now() - t0) * 1000 / lines.length).toFixed(2));
t0 = performance.now();
let start = 0, n = 0;
for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) { text.slice(start, nl); start = nl + 1; n++; }
console.log('split us', ((performance.now() - t0) * 1000 / n).toFixed(2));
const ts = lines.map((l) => JSON.parse(l).t);
t0 = performance.now();
for (const t of ts) { const ms = Date.parse(t); new Date(ms).toISOString(); }
console.log('date roundtrip us', ((performance.now() - t0) * 1000 / ts.length).toFixed(2));
