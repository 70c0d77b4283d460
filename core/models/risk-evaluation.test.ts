import { test } from 'node:test';
import assert from 'node:assert/strict';
import { evaluateModels } from './risk-evaluation.js';

// The targets, on a small deterministic evaluation (trained on seed 1, judged on seed 2),
// so that a change that costs detection or adds false alarms fails here. npm run eval:models runs the full one.
test('risk models meet the evaluation targets on the labelled scenarios', () => {
  const r = evaluateModels({ hosts: 30, trainSeed: 1, evalSeed: 2 });
  const get = (scenario: string, detector = 'combined') => {
    const s = r.scenarios.find((x) => x.scenario === scenario)!;
    return { s, d: s.detectors.find((x) => x.detector === detector)! };
  };
  for (const scenario of ['compromise', 'misconfiguration']) {
    const { d } = get(scenario);
    assert.ok(d.incidents >= 10, `${scenario}: ${d.incidents} incidents`);
    assert.ok(d.recall! >= 0.95, `${scenario}: recall ${d.recall}`);
    assert.ok(d.maxWindowsToDetect! <= 2, `${scenario}: detected after up to ${d.maxWindowsToDetect} windows`);
    assert.ok(d.falseAlarmsPer1000HostDays <= 1, `${scenario}: ${d.falseAlarmsPer1000HostDays} false alarms per 1,000 host-days`);
  }
  const benign = get('benign');
  assert.ok(benign.d.falseAlarmsPer1000HostDays <= 1, `benign: ${benign.d.falseAlarmsPer1000HostDays} false alarms per 1,000 host-days`);
  assert.equal(get('benign', 'statistical').d.falseAlarms, 0);
  const g = get('degradation').s.degradation!;
  assert.equal(g.predicted, g.breached, `${g.predicted} of ${g.breached} breaches predicted`);
  assert.ok(g.breached >= 10 && g.minDaysAhead! >= 7, `degradation predicted ${g.minDaysAhead} days ahead at the least`);
});
