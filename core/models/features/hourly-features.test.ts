import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { MetricSample } from '../../bundles/payloads/metrics-schema.js';
import { openStore } from '../../store/database.js';
import { insertSamplesDirect } from './direct-samples.js';
import { FEATURE_COUNT, FEATURE_INDEX as I, naturalValue, sumCounts, windowFeatures } from './feature-set.js';
import { listSeries, readSeriesWindows } from './hourly-features.js';

const sample = (t: string, o: Partial<MetricSample> = {}): MetricSample => ({
  host: 'web-1.example', cert: 'ab'.repeat(32), t, interval_s: 1800, hs_attempted: 100, hs_succeeded: 90, hs_failed: 10,
  hs_failed_by: { 'alert:bad_certificate': 4, 'error:timeout': 6 }, hs_p50_ms: 10, hs_p95_ms: 30, protocols: { 'TLSv1.3': 60, 'TLSv1.2': 30 },
  ciphers: { TLS_AES_128_GCM_SHA256: 45, 'ECDHE-ECDSA-AES128-GCM-SHA256': 45 }, client_ips_distinct: 50, client_ips_new: 5, cpu_pct: 20, mem_pct: 40,
  net_rx_bytes: 1000, net_tx_bytes: 3000, cert_validation_errors: {}, ...o,
});

test('count maps: sums by name pattern, repeated names add up, empty entries are skipped', () => {
  assert.equal(sumCounts('alert:bad_certificate=4;error:timeout=6;;alert:unknown_ca=2', /^alert:(bad_certificate|unknown_ca)$/), 6);
  assert.equal(sumCounts('', null), 0);
  assert.equal(sumCounts('a=1;b=2;a=3', null), 6);
});

test('two half-hour samples aggregate in SQLite into one hourly window with the right features', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-features-'));
  const store = openStore(path.join(dir, 'home'), { create: true });
  try {
    store.transaction(() => insertSamplesDirect(store.db, 'features-test', [
      sample('2026-03-02T10:00:00Z'),
      sample('2026-03-02T10:30:00Z', { hs_p50_ms: 20, hs_p95_ms: 50, hs_succeeded: 90, client_ips_distinct: 70, client_ips_new: 21, cpu_pct: 40, cert_validation_errors: { unknown_ca: 3 } }),
      sample('2026-03-02T11:00:00Z', { hs_attempted: 0, hs_succeeded: 0, hs_failed: 0, hs_failed_by: {}, hs_p50_ms: null, hs_p95_ms: null, protocols: {}, ciphers: {}, client_ips_distinct: 0, client_ips_new: 0 }),
    ]));
    const [ref] = listSeries(store.db);
    const s = readSeriesWindows(store.db, ref, Date.parse('2026-03-02T00:00:00Z'), Date.parse('2026-03-03T00:00:00Z'));
    assert.deepEqual(Array.from(s.times), [Date.parse('2026-03-02T10:00:00Z'), Date.parse('2026-03-02T11:00:00Z')]);
    const f = (w: number, name: string) => s.x[w * FEATURE_COUNT + I[name]];
    assert.equal(naturalValue(I.handshakes, f(0, 'handshakes')), 200);
    assert.equal(f(0, 'failure_pct'), 10);
    assert.equal(f(0, 'cert_failure_pct'), 4);
    assert.equal(f(0, 'protocol_failure_pct'), 0);
    assert.equal(f(0, 'transport_failure_pct'), 6);
    assert.ok(Math.abs(naturalValue(I.hs_p50_log, f(0, 'hs_p50_log')) - 15) < 1e-9, 'p50 is the success-weighted mean');
    assert.ok(Math.abs(naturalValue(I.hs_p95_log, f(0, 'hs_p95_log')) - 50) < 1e-9, 'p95 is the highest');
    assert.equal(naturalValue(I.clients, f(0, 'clients')), 70);
    assert.equal(f(0, 'new_client_pct'), 100 * 26 / 70);
    assert.equal(f(0, 'cpu_pct'), 30);
    assert.equal(naturalValue(I.validation_errors, f(0, 'validation_errors')), 3);
    assert.equal(f(0, 'tls13_pct'), 100 * 120 / 180);
    assert.equal(f(0, 'cipher_entropy'), 1);
    // A window without handshakes has no handshake-time or mix features (NaN: no evidence), but still has CPU and traffic.
    assert.ok(Number.isNaN(f(1, 'hs_p95_log')) && Number.isNaN(f(1, 'failure_pct')) && Number.isNaN(f(1, 'tls13_pct')));
    assert.equal(f(1, 'cpu_pct'), 20);
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('windowFeatures splits failures by code: certificate alerts, other alerts, transport errors', () => {
  const out = new Float64Array(FEATURE_COUNT);
  windowFeatures({ attempted: 1000, succeeded: 900, failed: 100, failedBy: 'error:timeout=50;alert:handshake_failure=40;alert:certificate_expired=10', p50: 5, p95: 9,
    protocols: 'TLSv1.2=900', ciphers: 'X=900', clients: 10, newClients: 0, cpu: 1, mem: 2, netBytes: 0, validation: '' }, out, 0);
  assert.equal(out[I.cert_failure_pct], 1);
  assert.equal(out[I.protocol_failure_pct], 4);
  assert.equal(out[I.transport_failure_pct], 5);
  assert.equal(out[I.failure_pct], out[I.cert_failure_pct] + out[I.protocol_failure_pct] + out[I.transport_failure_pct]);
  assert.equal(out[I.tls13_pct], 0);
  assert.equal(out[I.cipher_entropy], 0);
});

test('windows before p95Before carry the same handshake p95 as a full read and nothing else; later windows are unchanged', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-features-'));
  const store = openStore(path.join(dir, 'home'), { create: true });
  try {
    store.transaction(() => insertSamplesDirect(store.db, 'p95-test', [
      sample('2026-03-02T10:00:00Z', { hs_p95_ms: 30 }),
      sample('2026-03-02T10:30:00Z', { hs_p95_ms: 50 }),
      sample('2026-03-02T11:00:00Z', { hs_attempted: 0, hs_succeeded: 0, hs_failed: 0, hs_failed_by: {}, hs_p50_ms: null, hs_p95_ms: null, protocols: {}, ciphers: {} }),
      sample('2026-03-02T12:00:00Z', { hs_p95_ms: 40 }),
      sample('2026-03-02T13:00:00Z', { hs_p95_ms: 45 }),
    ]));
    const [ref] = listSeries(store.db);
    const from = Date.parse('2026-03-02T00:00:00Z');
    const to = Date.parse('2026-03-03T00:00:00Z');
    const full = readSeriesWindows(store.db, ref, from, to);
    // Not on the hour: rounded down to 12:00.
    const split = readSeriesWindows(store.db, ref, from, to, Date.parse('2026-03-02T12:20:00Z'));
    assert.deepEqual(Array.from(split.times), Array.from(full.times));
    assert.equal(full.times.length, 4);
    const F = FEATURE_COUNT;
    for (let w = 0; w < 2; w++) {
      for (let f = 0; f < F; f++) {
        if (f === I.hs_p95_log) assert.ok(Object.is(split.x[w * F + f], full.x[w * F + f]), `window ${w} p95`);
        else assert.ok(Number.isNaN(split.x[w * F + f]), `window ${w} feature ${f} is NaN`);
      }
    }
    assert.equal(naturalValue(I.hs_p95_log, split.x[I.hs_p95_log]), 50);
    assert.ok(Number.isNaN(split.x[F + I.hs_p95_log]), 'an hour without successful handshakes has no p95');
    assert.deepEqual(Array.from(split.x.subarray(2 * F)), Array.from(full.x.subarray(2 * F)));
  } finally {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
