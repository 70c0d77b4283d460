import { ColdrootError } from '../errors.js';
import { averagePathLength } from './average-path-length.js';
import { assertFinite, type FeatureMatrix } from './feature-matrix.js';
import { compileForest, sumPathLengths, type ForestLayout } from './forest-layout.js';
import { decodeIsolationForest, encodeIsolationForest } from './isolation-forest-codec.js';
import { buildIsolationTree, TreeScratch, type IsolationTree } from './isolation-tree-builder.js';
import { SeededRandom } from './seeded-random.js';

/**
 * Isolation forest (Liu, Ting & Zhou 2008) as scikit-learn implements it: each tree is grown on
 * `maxSamples` rows drawn without replacement, splits a random non-constant feature at a uniform
 * threshold, stops at ceil(log2(maxSamples)); a row's score is s(x) = 2^(−E[h(x)] / c(ψ)), where
 * h(x) is its depth plus c(rows left in its leaf). Scores lie in (0, 1]; higher is more anomalous;
 * scikit-learn's score_samples is −s(x).
 */

export interface IsolationForestOptions {
  /** Trees in the forest; default 100. */
  nTrees?: number;
  /** Rows drawn for each tree (ψ); default 256, capped at the number of training rows. */
  maxSamples?: number;
  /** Height limit; default ceil(log2(ψ)). */
  maxDepth?: number;
  /** Unsigned 32-bit seed; default 0. The same seed and data give a byte-identical model. */
  seed?: number;
}

export interface IsolationForestParams {
  readonly nTrees: number;
  /** ψ actually used (maxSamples capped at trainingRows). */
  readonly sampleSize: number;
  readonly maxDepth: number;
  readonly seed: number;
  readonly nFeatures: number;
  readonly trainingRows: number;
}

const MAX_TREES = 100_000;
const MAX_DEPTH = 64;
const MAX_FEATURES = 0xfffe; // the serialized form keeps 0xffff for "leaf"

export class IsolationForest {
  readonly params: IsolationForestParams;
  readonly trees: readonly IsolationTree[];
  private readonly layout: ForestLayout;
  private readonly normaliser: number;

  /** Through fit or fromBytes only: this trusts its inputs. The trees must not be mutated afterwards. */
  private constructor(params: IsolationForestParams, trees: readonly IsolationTree[]) {
    this.params = Object.freeze({ ...params });
    this.trees = trees;
    this.layout = compileForest(trees, params.maxDepth);
    this.normaliser = averagePathLength(params.sampleSize);
  }

  static fit(x: FeatureMatrix, options: IsolationForestOptions = {}): IsolationForest {
    const nTrees = options.nTrees ?? 100;
    checkInteger('nTrees', nTrees, 1, MAX_TREES);
    if (x.rows < 2) {
      throw new ColdrootError('MODEL_TOO_FEW_ROWS', `Isolation forest needs at least 2 training rows, got ${x.rows}`,
        'Collect more history before training, or lower the training window requirements.');
    }
    if (x.cols > MAX_FEATURES) {
      throw new ColdrootError('MODEL_BAD_OPTION', `Isolation forest supports at most ${MAX_FEATURES} features, got ${x.cols}`,
        'Reduce the feature set.');
    }
    const maxSamples = options.maxSamples ?? 256;
    checkInteger('maxSamples', maxSamples, 2, 2 ** 31);
    const sampleSize = Math.min(maxSamples, x.rows);
    const maxDepth = options.maxDepth ?? Math.ceil(Math.log2(sampleSize));
    checkInteger('maxDepth', maxDepth, 1, MAX_DEPTH);
    const seed = options.seed ?? 0;
    checkInteger('seed', seed, 0, 0xffffffff);
    assertFinite(x, 'Isolation forest training data');

    const scratch = new TreeScratch(sampleSize, x.cols);
    const trees: IsolationTree[] = [];
    // One PRNG stream per tree: tree t depends only on (seed, t, data), not on the trees before it.
    for (let t = 0; t < nTrees; t++) trees.push(buildIsolationTree(x, maxDepth, new SeededRandom(seed, t), scratch));
    return new IsolationForest({ nTrees, sampleSize, maxDepth, seed, nFeatures: x.cols, trainingRows: x.rows }, trees);
  }

  static fromBytes(bytes: Uint8Array): IsolationForest {
    const { params, trees } = decodeIsolationForest(bytes);
    return new IsolationForest(params, trees);
  }

  toBytes(): Uint8Array {
    return encodeIsolationForest(this.params, this.trees);
  }

  /** Anomaly scores s(x) in (0, 1], one per row; about 0.5 or below is ordinary. Fills and returns a view of `out` if given. */
  score(x: FeatureMatrix, out?: Float64Array): Float64Array {
    const result = this.meanPathLength(x, out);
    const k = -1 / this.normaliser;
    for (let r = 0; r < x.rows; r++) result[r] = 2 ** (result[r] * k);
    return result;
  }

  /** E[h(x)]: each row's path length averaged over the trees (shorter means easier to isolate). */
  meanPathLength(x: FeatureMatrix, out?: Float64Array): Float64Array {
    if (x.cols !== this.params.nFeatures) {
      throw new ColdrootError('MODEL_FEATURE_MISMATCH',
        `Rows to score have ${x.cols} features; the model was trained on ${this.params.nFeatures}`,
        'Score with the same feature set the model was trained on, or retrain the model.');
    }
    if (out !== undefined && out.length < x.rows) {
      throw new ColdrootError('MODEL_BAD_OPTION', `Output array holds ${out.length} scores; ${x.rows} rows to score`,
        'Pass an output array at least as long as the number of rows.', 'failure');
    }
    assertFinite(x, 'Rows to score');
    const result = out ? out.subarray(0, x.rows) : new Float64Array(x.rows);
    sumPathLengths(this.layout, x.data, x.rows, x.cols, result);
    const inv = 1 / this.params.nTrees;
    for (let r = 0; r < x.rows; r++) result[r] *= inv;
    return result;
  }
}

function checkInteger(name: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ColdrootError('MODEL_BAD_OPTION', `Isolation forest option ${name} must be an integer from ${min} to ${max}, got ${value}`,
      `Set ${name} within range, or leave it out for the default.`);
  }
}
