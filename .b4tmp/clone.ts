const rows: unknown[][] = [];
for (let i = 0; i < 1000; i++) rows.push(['web-0001.fleet.example', 'ab'.repeat(32), 1767571200 + i, 300, 1000, 990, 10, '{"alert:bad_certificate":4,"error:timeout":6}', 12.5, 48.25, '{"TLSv1.3":800,"TLSv1.2":190}', '{"TLS_AES_128_GCM_SHA256":700,"TLS_AES_256_GCM_SHA384":100,"ECDHE-RSA-AES128-GCM-SHA256":190}', 321, 12, 23.5, 61.2, 12345678, 87654321, '{"unknown_ca":1}']);
let t0 = performance.now();
for (let k = 0; k < 300; k++) structuredClone(rows);
console.log('structuredClone us/row', ((performance.now() - t0) * 1000 / 300000).toFixed(2));
const { serialize, deserialize } = await import('node:v8');
let buf: Buffer = serialize(rows);
t0 = performance.now();
for (let k = 0; k < 300; k++) buf = serialize(rows);
console.log('v8 serialize us/row', ((performance.now() - t0) * 1000 / 300000).toFixed(2));
t0 = performance.now();
for (let k = 0; k < 300; k++) deserialize(buf);
console.log('v8 deserialize us/row', ((performance.now() - t0) * 1000 / 300000).toFixed(2));
// columnar
const nums = new Float64Array(1000 * 13);
const strs = rows.map((r) => [r[0], r[1], r[7], r[10], r[11], r[18]].join('\x1f')).join('\x1e');
t0 = performance.now();
for (let k = 0; k < 300; k++) { const parts = strs.split('\x1e'); for (const p of parts) p.split('\x1f'); for (let i = 0; i < nums.length; i++) nums[i]; }
console.log('columnar decode us/row', ((performance.now() - t0) * 1000 / 300000).toFixed(2));
