import { test } from 'node:test';
import assert from 'node:assert/strict';
import { averagePathLength } from './average-path-length.js';
import { featureMatrix, matrixFromRows, type FeatureMatrix } from './feature-matrix.js';
import { compileComplete, compileSparse, sumPathLengths } from './forest-layout.js';
import { IsolationForest } from './isolation-forest.js';
import { SeededRandom } from './seeded-random.js';

/** Gaussian rows (Box–Muller) with `outliers` rows shifted far out at the end. */
function gaussianRows(rows: number, cols: number, seed: number, outliers = 0): FeatureMatrix {
  const r = new SeededRandom(seed);
  const data = new Float64Array(rows * cols);
  for (let i = 0; i < data.length; i++) {
    data[i] = Math.sqrt(-2 * Math.log(1 - r.nextFloat())) * Math.cos(2 * Math.PI * r.nextFloat());
  }
  for (let o = rows - outliers; o < rows; o++) for (let c = 0; c < cols; c++) data[o * cols + c] += 8;
  return featureMatrix(data, cols);
}

test('c(n) matches the published values', () => {
  assert.equal(averagePathLength(1), 0);
  assert.equal(averagePathLength(2), 1);
  // 2(ln 255 + γ) − 2·255/256, as scikit-learn's _average_path_length(256).
  assert.ok(Math.abs(averagePathLength(256) - 10.244770920119917) < 1e-12, String(averagePathLength(256)));
});

test('planted outliers score highest and ordinary rows near or below 0.5', () => {
  const x = gaussianRows(2000, 8, 1, 10);
  const scores = IsolationForest.fit(x, { seed: 5 }).score(x);
  const order = Array.from(scores.keys()).sort((a, b) => scores[b] - scores[a]);
  assert.deepEqual(order.slice(0, 10).sort((a, b) => a - b), [1990, 1991, 1992, 1993, 1994, 1995, 1996, 1997, 1998, 1999]);
  const inliers = Array.from(scores.subarray(0, 1990));
  const median = inliers.sort((a, b) => a - b)[995];
  assert.ok(median > 0.35 && median < 0.5, `median inlier score ${median}`);
  assert.ok(scores[1999] > 0.7, `outlier score ${scores[1999]}`);
});

test('same seed and data give a byte-identical model and identical scores', () => {
  const x = gaussianRows(5000, 12, 2);
  const a = IsolationForest.fit(x, { seed: 99 });
  const b = IsolationForest.fit(x, { seed: 99 });
  assert.deepEqual(a.toBytes(), b.toBytes());
  assert.deepEqual(a.score(x), b.score(x));
  assert.notDeepEqual(IsolationForest.fit(x, { seed: 100 }).toBytes(), a.toBytes());
  // Each tree has its own PRNG stream: the first 10 trees of a 100-tree forest are a 10-tree forest.
  const small = IsolationForest.fit(x, { seed: 99, nTrees: 10 });
  assert.deepEqual(small.trees, a.trees.slice(0, 10));
});

test('trees subsample maxSamples rows and stop at ceil(log2(maxSamples))', () => {
  const x = gaussianRows(10_000, 4, 3);
  const forest = IsolationForest.fit(x, { seed: 1, nTrees: 20, maxSamples: 100 });
  assert.deepEqual(forest.params, { nTrees: 20, sampleSize: 100, maxDepth: 7, seed: 1, nFeatures: 4, trainingRows: 10_000 });
  for (const tree of forest.trees) {
    let rows = 0;
    let deepest = 0;
    const walk = (i: number, d: number): number => {
      deepest = Math.max(deepest, d);
      if (tree.feature[i] < 0) {
        rows += tree.value[i];
        return i + 1;
      }
      return walk(walk(i + 1, d + 1), d + 1);
    };
    assert.equal(walk(0, 0), tree.feature.length);
    assert.equal(rows, 100);
    assert.equal(deepest, 7);
  }
  // With fewer rows than maxSamples every row is used, as scikit-learn does.
  assert.equal(IsolationForest.fit(gaussianRows(50, 2, 4)).params.sampleSize, 50);
});

test('the fast path walks the trees as written, a value equal to a threshold going left', () => {
  const x = matrixFromRows([[0], [1], [2], [3], [4], [5], [6], [7]]);
  const forest = IsolationForest.fit(x, { seed: 3, nTrees: 1 });
  const { feature, value } = forest.trees[0];
  const rightOf = (n: number): number => {
    let k = n + 1;
    for (let open = 1; open > 0; k++) open += feature[k] < 0 ? -1 : 1;
    return k;
  };
  const byHand = (v: number): number => {
    let i = 0;
    let depth = 0;
    while (feature[i] >= 0) {
      i = v <= value[i] ? i + 1 : rightOf(i);
      depth++;
    }
    return depth + averagePathLength(value[i]);
  };
  const thresholds = Array.from(value.filter((_, i) => feature[i] >= 0));
  assert.ok(thresholds.length >= 3);
  // Rows exactly on each threshold, just above it, and the training rows.
  const probes = [...thresholds, ...thresholds.map((t) => t + 1e-9), 0, 1, 2, 3, 4, 5, 6, 7];
  const fast = forest.meanPathLength(matrixFromRows(probes.map((v) => [v])));
  assert.deepEqual(Array.from(fast), probes.map(byHand));
  assert.notDeepEqual(probes.slice(0, thresholds.length).map(byHand), probes.slice(thresholds.length, 2 * thresholds.length).map(byHand));
});

test('identical rows cannot be split: every score is 0.5', () => {
  const x = matrixFromRows(Array.from({ length: 300 }, () => [1, 2, 3]));
  const scores = IsolationForest.fit(x, { seed: 1, nTrees: 5 }).score(x);
  assert.ok(scores.every((s) => Math.abs(s - 0.5) < 1e-12), String(scores.slice(0, 3)));
});

test('the branch-free complete layout and the pointer layout give the same path lengths', () => {
  const x = gaussianRows(3001, 5, 6, 3);
  const forest = IsolationForest.fit(x, { seed: 8, nTrees: 30 });
  const complete = new Float64Array(x.rows);
  const sparse = new Float64Array(x.rows);
  sumPathLengths(compileComplete(forest.trees, forest.params.maxDepth), x.data, x.rows, x.cols, complete);
  sumPathLengths(compileSparse(forest.trees), x.data, x.rows, x.cols, sparse);
  for (let r = 0; r < x.rows; r++) assert.ok(Math.abs(complete[r] - sparse[r]) < 1e-9, `row ${r}: ${complete[r]} vs ${sparse[r]}`);
  // maxSamples 8192 gives depth 13, past the complete layout's limit: the pointer layout serves it.
  const deep = IsolationForest.fit(x, { seed: 8, nTrees: 3, maxSamples: 8192 });
  assert.equal(deep.params.maxDepth, 12);
  const deeper = IsolationForest.fit(gaussianRows(9000, 3, 9), { seed: 8, nTrees: 3, maxSamples: 8192 });
  assert.equal(deeper.params.maxDepth, 13);
  const y = gaussianRows(500, 3, 10);
  const viaSparse = deeper.meanPathLength(y);
  const check = new Float64Array(y.rows);
  sumPathLengths(compileComplete(deeper.trees, 13), y.data, y.rows, y.cols, check);
  for (let r = 0; r < y.rows; r++) assert.ok(Math.abs(viaSparse[r] - check[r] / 3) < 1e-9, `row ${r}`);
});

test('toBytes/fromBytes round-trips byte for byte and score for score', () => {
  const x = gaussianRows(20_000, 12, 11, 20);
  const forest = IsolationForest.fit(x, { seed: 12 });
  const bytes = forest.toBytes();
  const loaded = IsolationForest.fromBytes(bytes);
  assert.deepEqual(loaded.toBytes(), bytes);
  assert.deepEqual(loaded.params, forest.params);
  assert.deepEqual(loaded.score(x), forest.score(x));
  // A copy at an odd offset inside a larger buffer (as from a SQLite BLOB or a file) loads too.
  const shifted = new Uint8Array(bytes.length + 3);
  shifted.set(bytes, 3);
  assert.deepEqual(IsolationForest.fromBytes(shifted.subarray(3)).score(x), forest.score(x));
  assert.ok(bytes.length < 400_000, `serialized size ${bytes.length}`);
});

test('bad options and inputs are rejected naming the value', () => {
  const x = gaussianRows(100, 3, 13);
  assert.throws(() => IsolationForest.fit(x, { nTrees: 0 }),
    { code: 'MODEL_BAD_OPTION', message: 'Isolation forest option nTrees must be an integer from 1 to 100000, got 0' });
  assert.throws(() => IsolationForest.fit(x, { maxSamples: 1.5 }), { code: 'MODEL_BAD_OPTION' });
  assert.throws(() => IsolationForest.fit(x, { seed: -1 }), { code: 'MODEL_BAD_OPTION' });
  assert.throws(() => IsolationForest.fit(matrixFromRows([[1, 2]])),
    { code: 'MODEL_TOO_FEW_ROWS', message: 'Isolation forest needs at least 2 training rows, got 1' });
  const withNaN = new Float64Array(x.data);
  withNaN[7 * 3 + 2] = NaN;
  assert.throws(() => IsolationForest.fit(featureMatrix(withNaN, 3)),
    { code: 'MODEL_NON_FINITE_FEATURE', message: 'Isolation forest training data: feature 2 of row 7 is NaN' });
  const forest = IsolationForest.fit(x, { nTrees: 3 });
  assert.throws(() => forest.score(gaussianRows(10, 4, 1)),
    { code: 'MODEL_FEATURE_MISMATCH', message: 'Rows to score have 4 features; the model was trained on 3' });
  const withInf = new Float64Array(30);
  withInf[4] = -Infinity;
  assert.throws(() => forest.score(featureMatrix(withInf, 3)),
    { code: 'MODEL_NON_FINITE_FEATURE', message: 'Rows to score: feature 1 of row 1 is -Infinity' });
  assert.throws(() => featureMatrix(new Float64Array(10), 3), { code: 'MODEL_BAD_MATRIX' });
});
