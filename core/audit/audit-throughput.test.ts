import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStore } from '../store/database.js';

/**
 * Measures append and verify speed on the real on-disk store (WAL, synchronous=FULL) and prints
 * it. The floors are far below what this machine does; they catch a pathological regression
 * (say, an fsync per entry inside a transaction), not normal variance.
 */
test('audit append and verify throughput', (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-bench-'));
  const store = openStore(path.join(dir, 'home'), { create: true });
  try {
    const at = new Date('2026-01-01T00:00:00Z');
    const entry = (i: number) => ({ actor: 'alice', action: 'cert.issue', inputs: { csr: `csr-${i}` }, details: { caId: 'root', serial: i.toString(16) } });

    const batch = 2000;
    let t0 = performance.now();
    store.transaction(() => {
      for (let i = 0; i < batch; i++) store.audit.append(entry(i), at);
    });
    const batchRate = batch / ((performance.now() - t0) / 1000);

    const single = 100;
    t0 = performance.now();
    for (let i = 0; i < single; i++) store.transaction(() => store.audit.append(entry(i), at));
    const singleRate = single / ((performance.now() - t0) / 1000);

    t0 = performance.now();
    const report = store.audit.verify();
    const verifyRate = (batch + single) / ((performance.now() - t0) / 1000);
    assert.equal(report.ok, true);

    const line = `audit throughput: ${Math.round(batchRate)} entries/s in one transaction; ${Math.round(singleRate)} entries/s one per transaction (synchronous=FULL); verify ${Math.round(verifyRate)} entries/s`;
    t.diagnostic(line);
    if (process.env.COLDROOT_BENCH) console.log(line);
    assert.ok(batchRate > 1000, line);
    assert.ok(singleRate > 20, line);
    assert.ok(verifyRate > 1000, line);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
