import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeHosts } from '../bundles/simulation/metric-generator.js';
import { FEATURE_COUNT, FEATURE_INDEX } from './features/feature-set.js';
import { IsolationForest } from './isolation-forest.js';
import { ALARM_COMBINED, ALARM_STAT, confirmAlarms, RiskDetector } from './risk-detector.js';
import { EVAL_START, simulateWindows } from './risk-evaluation.js';
import { riskLevel, seriesRisk } from './risk-score.js';

const DAY = 86_400_000;

test('an alarm needs two windows over the threshold in a row, or one over the strong threshold', () => {
  assert.deepEqual(Array.from(confirmAlarms(Float64Array.from([5, 1, 5, 5, 1, 9, 1]), 4, 8)), [0, 0, 0, 1, 0, 1, 0]);
  assert.deepEqual(Array.from(confirmAlarms(Float64Array.from([5, 1]), 4, 8, 6)), [1, 0], 'the window before the first counts');
});

const hosts = makeHosts(6, 9);
const { series } = simulateWindows(hosts, 'benign', 9, 29, 40, 41);
const trained = RiskDetector.train(series, EVAL_START, EVAL_START + 28 * DAY, { nTrees: 50 });

test('training is seeded: the same data and seed give a byte-identical model with calibrated thresholds', () => {
  const again = RiskDetector.train(series, EVAL_START, EVAL_START + 28 * DAY, { nTrees: 50 });
  assert.deepEqual(again.detector.forest.toBytes(), trained.detector.forest.toBytes());
  const p = trained.detector.params;
  assert.ok(p.forestThreshold > 0.5 && p.forestThreshold < 1 && p.forestStrong >= p.forestThreshold);
  assert.equal(trained.evaluation.series, 6);
  assert.equal(trained.evaluation.holdoutWindows, 6 * 7 * 24);
  const other = RiskDetector.train(series, EVAL_START, EVAL_START + 28 * DAY, { nTrees: 50, seed: 2 });
  assert.notDeepEqual(other.detector.forest.toBytes(), trained.detector.forest.toBytes());
});

test('a burst of never-seen clients alarms in its first window, with evidence naming the feature and its baseline', () => {
  const s = series[0];
  const x = s.x.slice();
  const from = EVAL_START + 28 * DAY;
  const k = s.times.indexOf(from + 5 * 3_600_000);
  for (const w of [k, k + 1, k + 2]) x[w * FEATURE_COUNT + FEATURE_INDEX.new_client_pct] = 70;
  const planted = { ...s, x };
  const a = trained.detector.assess(planted, from, from + DAY);
  assert.equal(a.alarms.length, 24);
  assert.equal(a.alarms[4], 0);
  assert.ok(a.alarms[5] & ALARM_STAT && a.alarms[5] & ALARM_COMBINED);
  const risk = seriesRisk(a, trained.detector.params);
  assert.ok(risk.score >= 60, `score ${risk.score}`);
  assert.equal(risk.level, riskLevel(risk.score));
  assert.equal(risk.evidence.firstAnomalyAt, new Date(from + 5 * 3_600_000).toISOString());
  assert.equal(risk.evidence.features[0].feature, 'new_client_pct');
  assert.equal(risk.evidence.features[0].value, 70);
  assert.ok(risk.evidence.features[0].expected < 10 && risk.evidence.features[0].z > 7);
  const quiet = seriesRisk(trained.detector.assess(s, from, from + DAY), trained.detector.params);
  assert.equal(quiet.evidence.anomalyWindows, 0);
  assert.ok(quiet.score < 40 && quiet.level === 'low');
});

test('a model trained on other features is refused', () => {
  const p = { ...trained.detector.params, features: ['handshakes'] };
  assert.throws(() => new RiskDetector(p, IsolationForest.fromBytes(trained.detector.forest.toBytes())), /MODEL_FEATURE_MISMATCH|differ from this Coldroot/);
});
