import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import { matrixFromRows } from './feature-matrix.js';
import { IsolationForest } from './isolation-forest.js';
import { SeededRandom } from './seeded-random.js';

/** Written by scripts/make-sklearn-reference.py; this test needs only the file, not scikit-learn. */
interface SklearnFixture {
  maxSamples: number;
  data: number[][];
  outliers: { global: number[]; correlation: number[]; singleFeature: number[] };
  scoreSamples: { '100': number[]; '1000': number[] };
}
const fixture = JSON.parse(
  readFileSync(new URL('../../fixtures/models/sklearn-isolation-forest.json', import.meta.url), 'utf8'),
) as SklearnFixture;
const x = matrixFromRows(fixture.data);
/** scikit-learn's score_samples is −s(x). */
const sklearn100 = fixture.scoreSamples['100'].map((v) => -v);
const sklearn1000 = fixture.scoreSamples['1000'].map((v) => -v);

/** Rank of each row by score, 0 for the most anomalous. */
function ranks(scores: ArrayLike<number>): number[] {
  const order = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b] - scores[a]);
  const rank = new Array<number>(scores.length);
  order.forEach((row, k) => { rank[row] = k; });
  return rank;
}

function spearman(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const ra = ranks(a);
  const rb = ranks(b);
  const n = a.length;
  let sum = 0;
  for (let i = 0; i < n; i++) sum += (ra[i] - rb[i]) ** 2;
  return 1 - (6 * sum) / (n * (n * n - 1));
}

/** The lowest rank (worst) of any planted outlier in each group. */
function worstRanks(scores: ArrayLike<number>): Record<string, number> {
  const rank = ranks(scores);
  return Object.fromEntries(Object.entries(fixture.outliers).map(([group, rows]) => [group, Math.max(...rows.map((r) => rank[r]))]));
}

test('the fixture itself: scikit-learn puts the planted outliers on top', () => {
  assert.equal(x.rows, 1000);
  const worst = worstRanks(sklearn1000);
  assert.ok(worst.global < 8 && worst.correlation < 14, JSON.stringify(worst));
});

test('1000 trees: scores match scikit-learn’s to within Monte Carlo noise', () => {
  for (const seed of [1, 2, 3]) {
    const ours = IsolationForest.fit(x, { nTrees: 1000, maxSamples: fixture.maxSamples, seed }).score(x);
    const rho = spearman(ours, sklearn1000);
    assert.ok(rho > 0.98, `seed ${seed}: Spearman ${rho}`);
    let meanAbs = 0;
    for (let i = 0; i < ours.length; i++) meanAbs += Math.abs(ours[i] - sklearn1000[i]) / ours.length;
    // The same c(n) normalisation and leaf correction, not just the same order.
    assert.ok(meanAbs < 0.005, `seed ${seed}: mean |Δs| ${meanAbs}`);
    const worst = worstRanks(ours);
    assert.ok(worst.global < 8 && worst.correlation < 14 && worst.singleFeature < 120, `seed ${seed}: ${JSON.stringify(worst)}`);
  }
});

test('100 trees (the default): same ranking as scikit-learn and the same planted outliers on top', () => {
  const ours = IsolationForest.fit(x, { seed: 7 }).score(x);
  const rho = spearman(ours, sklearn100);
  // Two independent 100-tree forests: scikit-learn's own 100- and 1000-tree forests agree at 0.96.
  assert.ok(rho > 0.9, `Spearman ${rho}`);
  const worst = worstRanks(ours);
  const sk = worstRanks(sklearn100);
  assert.ok(worst.global < 8 && worst.correlation < 16, `ours ${JSON.stringify(worst)}`);
  assert.ok(sk.global < 8 && sk.correlation < 16, `scikit-learn ${JSON.stringify(sk)}`);
});

test('ml-isolation-forest ranks the same data alike and finds the same planted outliers', () => {
  // It draws from Math.random; seed it for the duration of its training so the test repeats.
  const seeded = new SeededRandom(2024);
  const original = Math.random;
  const ml = new MlIsolationForest({ nEstimators: 100 });
  Math.random = () => seeded.nextFloat();
  try {
    ml.train(fixture.data);
  } finally {
    Math.random = original;
  }
  const theirs = ml.predict(fixture.data);
  const ours = IsolationForest.fit(x, { seed: 7 }).score(x);
  const rho = spearman(ours, theirs);
  assert.ok(rho > 0.85, `Spearman ${rho}`);
  const worst = worstRanks(theirs);
  assert.ok(worst.global < 8 && worst.correlation < 20, `ml-isolation-forest ${JSON.stringify(worst)}`);
  const topOurs = new Set(ranks(ours).flatMap((r, i) => (r < 20 ? [i] : [])));
  const overlap = ranks(theirs).filter((r, i) => r < 20 && topOurs.has(i)).length;
  assert.ok(overlap >= 15, `top-20 overlap ${overlap}`);
});
