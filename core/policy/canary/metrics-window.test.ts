import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricsWindow } from './metrics-window.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');

test('summaries merge whole buckets from a start time and keep arms apart', () => {
  const w = new MetricsWindow(T0);
  w.record({ arm: 'old', at: T0 + 1000, ok: true, handshakeMs: 10, protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
  w.record({ arm: 'new', at: T0 + 2000, ok: false, cause: 'alert:unknown_ca' });
  w.cut(T0 + 10_000);
  w.record({ arm: 'old', at: T0 + 11_000, ok: true, handshakeMs: 40, protocol: 'TLSv1.2', cipher: 'ECDHE-ECDSA-AES128-GCM-SHA256' });
  w.record({ arm: 'old', at: T0 + 12_000, ok: false, cause: 'error:ECONNRESET' });
  w.record({ arm: 'new', at: T0 + 12_000, ok: true, handshakeMs: 20 });

  const all = w.summarize('old', T0);
  assert.deepEqual([all.attempted, all.succeeded, all.failed], [3, 2, 1]);
  assert.deepEqual(all.failedBy, { 'error:ECONNRESET': 1 });
  assert.deepEqual(all.protocols, { 'TLSv1.3': 1, 'TLSv1.2': 1 });
  assert.deepEqual([all.withProtocol, all.legacyProtocol], [2, 1]);
  assert.ok(Math.abs(all.geoMeanMs! - 20) < 1e-9, `${all.geoMeanMs}`);

  const recent = w.summarize('old', T0 + 10_000);
  assert.deepEqual([recent.attempted, recent.succeeded], [2, 1]);
  const fresh = w.summarize('new', T0 + 10_000);
  assert.deepEqual([fresh.attempted, fresh.succeeded, fresh.failedBy], [1, 1, {}]);
  assert.deepEqual(w.summarize('new', T0).failedBy, { 'alert:unknown_ca': 1 });
});

test('a late outcome goes to the bucket of its time', () => {
  const w = new MetricsWindow(T0);
  w.cut(T0 + 10_000);
  w.record({ arm: 'old', at: T0 + 5_000, ok: true });
  assert.equal(w.summarize('old', T0 + 10_000).attempted, 0);
  assert.equal(w.summarize('old', T0).attempted, 1);
});

test('percentiles come from a log-spaced histogram within a bin (±10%)', () => {
  const w = new MetricsWindow(T0);
  for (let i = 1; i <= 100; i++) w.record({ arm: 'new', at: T0, ok: true, handshakeMs: i });
  const s = w.summarize('new', T0);
  assert.ok(Math.abs(s.p50Ms! - 50) / 50 < 0.1, `p50 ${s.p50Ms}`);
  assert.ok(Math.abs(s.p95Ms! - 95) / 95 < 0.1, `p95 ${s.p95Ms}`);
  assert.equal(w.summarize('old', T0).p50Ms, null);
});

test('bucket-to-bucket swings of the success rate are measured', () => {
  const w = new MetricsWindow(T0);
  const rates = [1, 0.5, 1, 0.5];
  rates.forEach((r, b) => {
    if (b) w.cut(T0 + b * 10_000);
    for (let i = 0; i < 20; i++) w.record({ arm: 'old', at: T0 + b * 10_000, ok: i < 20 * r });
  });
  const s = w.summarize('old', T0);
  assert.equal(s.bucketRates.buckets, 4);
  assert.equal(s.bucketRates.mean, 0.75);
  assert.ok(Math.abs(s.bucketRates.sd - Math.sqrt(1 / 12)) < 1e-12);
});

test('prune drops buckets that ended before the cut-off and keeps the newest', () => {
  const w = new MetricsWindow(T0);
  w.record({ arm: 'old', at: T0, ok: true });
  w.cut(T0 + 10_000);
  w.record({ arm: 'old', at: T0 + 10_000, ok: true });
  w.cut(T0 + 20_000);
  w.prune(T0 + 15_000);
  assert.equal(w.summarize('old', 0).attempted, 1);
  w.prune(T0 + 1e9);
  assert.equal(w.currentStart, T0 + 20_000);
});
