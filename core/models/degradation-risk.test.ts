import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHosts } from '../bundles/simulation/metric-generator.js';
import { certificateFactors, combineFactors, degradationScore, handshakeTrend } from './degradation-risk.js';
import { EVAL_START, simulateWindows } from './risk-evaluation.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-06-01T00:00:00Z');

test('a creeping handshake p95 is predicted to breach, a steady one is not', () => {
  const hosts = makeHosts(4, 5);
  const { series, labels } = simulateWindows(hosts, 'degradation', 5, 40, 14, 15);
  const degrading = series.find((_, i) => labels[i])!;
  const steady = series.find((_, i) => !labels[i])!;
  const now = EVAL_START + 28 * DAY;
  const t = handshakeTrend(degrading, now);
  assert.equal(t.forecast?.status, 'predicted');
  assert.equal(t.factor?.kind, 'handshake-p95-trend');
  const days = (Date.parse(t.factor!.predictedAt!) - now) / DAY;
  // 2.5% a day from day 14: twice the reference around day 42, i.e. ~14 days after `now`.
  assert.ok(days > 5 && days < 30, `predicted ${days} days ahead`);
  assert.equal(t.factor!.score, degradationScore(t.forecast!.daysAhead!));
  assert.equal(handshakeTrend(steady, now).factor, null);
});

test('certificate-side factors: expiry, an issuer expiring first, a stale CRL and OCSP response, weak algorithms', () => {
  const f = certificateFactors({
    notAfter: '2026-06-15T00:00:00Z', issuerNotAfter: [{ caId: 'sub', notAfter: '2026-06-10T00:00:00Z' }, { caId: 'root', notAfter: '2036-01-01T00:00:00Z' }],
    crlNextUpdate: '2026-05-31T00:00:00Z', ocspNextUpdate: '2026-05-30T00:00:00Z', publicKeyType: 'rsa-1024', signatureAlgorithm: 'sha1WithRSAEncryption',
  }, NOW);
  assert.deepEqual(f.map((x) => x.kind), ['certificate-expiry', 'intermediate-expires-first', 'stale-crl', 'stale-ocsp', 'weak-algorithm']);
  assert.equal(f[0].score, degradationScore(14));
  assert.equal(f[1].predictedAt, '2026-06-10T00:00:00Z');
  assert.match(f[3].detail, /OCSP responses expired at 2026-05-30T00:00:00Z/);
  assert.match(f[4].detail, /below 2048 bits/);
  assert.deepEqual(combineFactors(f), { score: 70, predictedAt: '2026-05-30T00:00:00Z' });
  const healthy = certificateFactors({ notAfter: '2027-06-01T00:00:00Z', issuerNotAfter: [{ caId: 'sub', notAfter: '2030-01-01T00:00:00Z' }], crlNextUpdate: '2026-06-02T00:00:00Z', ocspNextUpdate: '2026-06-08T00:00:00Z', publicKeyType: 'ecdsa-p256', signatureAlgorithm: 'ecdsa-with-SHA256' }, NOW);
  assert.deepEqual(healthy, []);
  assert.deepEqual(combineFactors(healthy), { score: 0, predictedAt: null });
});
