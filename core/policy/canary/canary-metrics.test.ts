import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MetricSampleSchema } from '../../bundles/payloads/metrics-schema.js';
import { handshakeMetricFields } from './canary-metrics.js';
import { MetricsWindow } from './metrics-window.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');
const host = { host: 'web-1', t: '2026-01-05T00:00:00Z', interval_s: 300, client_ips_distinct: 3, client_ips_new: 1, cpu_pct: 1, mem_pct: 2, net_rx_bytes: 0, net_tx_bytes: 0, cert_validation_errors: {} };

test('each certificate\'s handshakes become a valid coldroot.metrics.v1 sample', () => {
  const w = new MetricsWindow(T0);
  for (let i = 0; i < 40; i++) w.record({ arm: 'new', at: T0, ok: true, handshakeMs: 3 + i, protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
  for (let i = 0; i < 5; i++) w.record({ arm: 'new', at: T0, ok: false, cause: 'alert:unknown_ca' });
  w.record({ arm: 'new', at: T0, ok: false, cause: 'error:bad key with spaces' });
  const fields = handshakeMetricFields(w.summarize('new', T0));
  assert.deepEqual([fields.hs_attempted, fields.hs_succeeded, fields.hs_failed], [46, 40, 6]);
  // A cause that is not a valid map key is folded into error:other rather than failing the bundle.
  assert.deepEqual(fields.hs_failed_by, { 'alert:unknown_ca': 5, 'error:other': 1 });
  const sample = { ...host, cert: 'ab'.repeat(32), ...fields };
  assert.deepEqual(MetricSampleSchema.parse(sample), sample);
  const empty = handshakeMetricFields(w.summarize('old', T0));
  assert.deepEqual([empty.hs_attempted, empty.hs_p50_ms, empty.hs_p95_ms], [0, null, null]);
  MetricSampleSchema.parse({ ...host, cert: 'cd'.repeat(32), ...empty });
});
