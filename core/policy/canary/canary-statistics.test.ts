import assert from 'node:assert/strict';
import { test } from 'node:test';
import { meanDifference, momentsMean, momentsSd, normalQuantile, proportionDifference, ratioShortfall } from './canary-statistics.js';

const close = (a: number, b: number, eps = 1e-8) => assert.ok(Math.abs(a - b) < eps, `${a} ≠ ${b}`);

test('normal quantiles match the reference values (Python statistics.NormalDist) in both tails and the middle', () => {
  const known: Array<[number, number]> = [[0.5, 0], [0.975, 1.9599639845400536], [0.99, 2.3263478740408408], [0.999, 3.090232306167813], [0.01, -2.3263478740408408], [0.02, -2.0537489106318225], [0.9999, 3.7190164854557084]];
  for (const [p, z] of known) close(normalQuantile(p), z);
  assert.throws(() => normalQuantile(1), /0 < p < 1, got 1/);
});

test('Agresti–Caffo difference of two success rates, known answer', () => {
  const d = proportionDifference(99, 100, 90, 100, 1.96);
  close(d.estimate, 0.08823529411764697);
  close(d.lower, 0.022298577472400605);
  close(d.upper, 0.15417201076289333);
});

test('the interval stays open when both sides are at 100%, and extra variance widens it', () => {
  const d = proportionDifference(1000, 1000, 50, 50, 2.326);
  assert.ok(d.upper > 0.02, `${d.upper}`);
  const wider = proportionDifference(1000, 1000, 50, 50, 2.326, 0.01);
  assert.ok(wider.upper - wider.lower > d.upper - d.lower);
});

test('ratio shortfall: target share of a minus b, known answer', () => {
  const s = ratioShortfall(99, 100, 90, 100, 0.95, 1.96);
  close(s.estimate, 0.039215686274509665);
  close(s.lower, -0.026183549998460565);
});

test('Welch mean difference (b − a), known answer', () => {
  const d = meanDifference(50, 1, 0.5, 40, 2, 0.8, 1.96);
  close(d.estimate, 1);
  close(d.lower, 0.715969015774687);
});

test('moments give the mean and the sample standard deviation', () => {
  const m = { n: 4, sum: 2 + 4 + 4 + 6, sumSq: 4 + 16 + 16 + 36 };
  close(momentsMean(m), 4);
  close(momentsSd(m), Math.sqrt(8 / 3));
  assert.equal(momentsSd({ n: 1, sum: 3, sumSq: 9 }), 0);
  assert.ok(Number.isNaN(momentsMean({ n: 0, sum: 0, sumSq: 0 })));
});
