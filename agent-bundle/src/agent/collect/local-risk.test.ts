import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { MetricSample } from '../../../../core/bundles/payloads/metrics-fields.js';
import { RiskReportSchema } from '../../../../core/bundles/payloads/risk-report.js';
import { RISK_HISTORY_LENGTH, scoreLocally, type RiskHistory } from './local-risk.js';

function sample(i: number, over: Partial<MetricSample> = {}): MetricSample {
  return {
    host: 'edge-01.fleet.example', cert: 'ab'.repeat(32), t: new Date(Date.UTC(2026, 2, 2) + i * 300_000).toISOString().replace('.000Z', 'Z'), interval_s: 300,
    hs_attempted: 2, hs_succeeded: 2, hs_failed: 0, hs_failed_by: {}, hs_p50_ms: 3 + (i % 3), hs_p95_ms: 4 + (i % 3), protocols: { 'TLSv1.3': 2 }, ciphers: {},
    client_ips_distinct: 20 + (i % 5), client_ips_new: i % 2, cpu_pct: 10 + (i % 4), mem_pct: 40, net_rx_bytes: 300_000 + (i % 7) * 10_000, net_tx_bytes: 0,
    cert_validation_errors: i % 4 === 0 ? { unknown_ca: 1 } : {}, ...over,
  };
}

describe('local risk scoring (robust z over the host\'s own history)', () => {
  test('no report while the history is short; an ordinary window is low with no anomalies', () => {
    const h: RiskHistory = [];
    for (let i = 0; i < 12; i++) assert.equal(scoreLocally(h, sample(i), new Date()), null);
    const r = scoreLocally(h, sample(12), new Date('2026-03-02T01:00:07.123Z'))!;
    assert.deepEqual(RiskReportSchema.parse(r), r);
    assert.deepEqual([r.level, r.anomalies, r.computedAt, r.window], ['low', [], '2026-03-02T01:00:07Z', { from: '2026-03-02T00:00:00Z', to: '2026-03-02T01:05:00Z' }]);
  });

  test('a burst of new clients and certificate errors is reported, with the metric and a high score', () => {
    const h: RiskHistory = [];
    for (let i = 0; i < 30; i++) scoreLocally(h, sample(i), new Date());
    const r = scoreLocally(h, sample(30, { client_ips_new: 40, client_ips_distinct: 60, cert_validation_errors: { unknown_ca: 25 } }), new Date('2026-03-02T03:00:00Z'))!;
    assert.deepEqual(RiskReportSchema.parse(r), r);
    assert.deepEqual(r.anomalies.map((a) => [a.kind, a.metric, a.score]), [['new-client-ip-burst', 'client_ips_new', 1], ['certificate-error-spike', 'cert_validation_errors', 1]]);
    assert.deepEqual([r.score, r.level], [1, 'critical']);
  });

  test('fewer failures than usual is no risk; the history stays bounded', () => {
    const h: RiskHistory = [];
    for (let i = 0; i < RISK_HISTORY_LENGTH + 20; i++) scoreLocally(h, sample(i, { hs_failed: 1, hs_succeeded: 1, hs_failed_by: { 'error:timeout': 1 } }), new Date());
    assert.equal(h.length, RISK_HISTORY_LENGTH);
    const r = scoreLocally(h, sample(400), new Date())!;
    assert.equal(r.anomalies.length, 0);
  });
});
