import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MetricSample } from '../../bundles/payloads/metrics-schema.js';
import { openStore } from '../../store/database.js';
import { insertSamplesDirect } from './direct-samples.js';
import { FEATURE_COUNT, FEATURE_INDEX as I } from './feature-set.js';
import { listSeries, readSeriesWindows } from './hourly-features.js';

const sample = (t: string, o: Partial<MetricSample> = {}): MetricSample => ({
  host: 'web-1.example', cert: 'cd'.repeat(32), t, interval_s: 1800, hs_attempted: 10, hs_succeeded: 10, hs_failed: 0, hs_failed_by: {},
  hs_p50_ms: 10, hs_p95_ms: 30, protocols: { 'TLSv1.3': 10 }, ciphers: { TLS_AES_128_GCM_SHA256: 10 }, client_ips_distinct: 50, client_ips_new: 5,
  cpu_pct: 20, mem_pct: 40, net_rx_bytes: 1000, net_tx_bytes: 3000, cert_validation_errors: {}, ...o,
});

test('new_client_pct is the share of never-seen client networks when samples carry them (v1.1), and new client IPs for v1 samples or a mixed window', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-nets-'));
  const store = openStore(path.join(dir, 'home'), { create: true });
  try {
    store.transaction(() => insertSamplesDirect(store.db, 'nets-test', [
      // 10:00 — v1.1: most distinct networks 8 in one sample, 2 + 4 never seen: 75 %, whatever the IPs say (10 %).
      sample('2026-03-02T10:00:00Z', { client_nets_distinct: 8, client_nets_new: 2 }),
      sample('2026-03-02T10:30:00Z', { client_nets_distinct: 6, client_nets_new: 4 }),
      // 11:00 — v1 only: new IPs 5 of 50 = 10 %.
      sample('2026-03-02T11:00:00Z'),
      // 12:00 — one sample without networks: the window falls back to IPs, (5 + 20) of 50.
      sample('2026-03-02T12:00:00Z', { client_nets_distinct: 4, client_nets_new: 4 }),
      sample('2026-03-02T12:30:00Z', { client_ips_new: 20 }),
    ]));
    const [ref] = listSeries(store.db);
    const s = readSeriesWindows(store.db, ref, Date.parse('2026-03-02T00:00:00Z'), Date.parse('2026-03-03T00:00:00Z'));
    assert.deepEqual([0, 1, 2].map((w) => s.x[w * FEATURE_COUNT + I.new_client_pct]), [75, 10, 50]);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
