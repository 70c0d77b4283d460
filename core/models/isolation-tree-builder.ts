import type { FeatureMatrix } from './feature-matrix.js';
import type { SeededRandom } from './seeded-random.js';

/**
 * One isolation tree in pre-order: node i's left child is i + 1, its right child follows the whole
 * left subtree. feature[i] is the split feature, or -1 for a leaf; value[i] is the split threshold
 * (x <= threshold goes left, as in scikit-learn), or for a leaf the number of sampled rows it holds.
 */
export interface IsolationTree {
  readonly feature: Int32Array;
  readonly value: Float64Array;
}

/** Buffers reused across the trees of one fit, so building 100 trees allocates almost nothing. */
export class TreeScratch {
  readonly columns: Float64Array;
  readonly index: Int32Array;
  readonly sample: Int32Array;
  readonly featureOrder: Int32Array;
  readonly feature: Int32Array;
  readonly value: Float64Array;

  constructor(readonly sampleSize: number, readonly cols: number) {
    this.columns = new Float64Array(sampleSize * cols);
    this.index = new Int32Array(sampleSize);
    this.sample = new Int32Array(sampleSize);
    this.featureOrder = new Int32Array(cols);
    this.feature = new Int32Array(2 * sampleSize);
    this.value = new Float64Array(2 * sampleSize);
  }
}

/**
 * Draws `sampleSize` distinct rows uniformly (Floyd's algorithm: exactly sampleSize draws, no
 * array of all rows), then grows a fully random tree on them down to maxDepth.
 */
export function buildIsolationTree(
  x: FeatureMatrix,
  maxDepth: number,
  rng: SeededRandom,
  scratch: TreeScratch,
): IsolationTree {
  const { sampleSize: psi, cols } = scratch;
  sampleRows(x.rows, psi, rng, scratch.sample);

  // Column-major copy of the sample: each node scans one feature of its rows contiguously.
  const columns = scratch.columns;
  const data = x.data;
  for (let i = 0; i < psi; i++) {
    const base = scratch.sample[i] * cols;
    for (let c = 0; c < cols; c++) columns[c * psi + i] = data[base + c];
  }
  const index = scratch.index;
  for (let i = 0; i < psi; i++) index[i] = i;
  const order = scratch.featureOrder;
  for (let c = 0; c < cols; c++) order[c] = c;

  const outFeature = scratch.feature;
  const outValue = scratch.value;
  let nodes = 0;

  const grow = (start: number, end: number, depth: number): void => {
    const node = nodes++;
    const n = end - start;
    if (n <= 1 || depth >= maxDepth) {
      outFeature[node] = -1;
      outValue[node] = n;
      return;
    }
    // Try features in random order until one is not constant on this node (scikit-learn does the
    // same); a node where every feature is constant cannot be split and becomes a leaf.
    let remaining = cols;
    let feature = -1;
    let lo = 0;
    let hi = 0;
    while (remaining > 0) {
      const j = rng.nextInt(remaining);
      const f = order[j];
      order[j] = order[remaining - 1];
      order[remaining - 1] = f;
      remaining--;
      const col = f * psi;
      lo = Infinity;
      hi = -Infinity;
      for (let k = start; k < end; k++) {
        const v = columns[col + index[k]];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (hi > lo) {
        feature = f;
        break;
      }
    }
    if (feature < 0) {
      outFeature[node] = -1;
      outValue[node] = n;
      return;
    }
    let threshold = lo + rng.nextFloat() * (hi - lo);
    if (threshold >= hi) threshold = lo; // rounding reached the maximum: keep the right side non-empty

    const col = feature * psi;
    let i = start;
    let j = end - 1;
    while (i <= j) {
      if (columns[col + index[i]] <= threshold) i++;
      else {
        const t = index[i];
        index[i] = index[j];
        index[j] = t;
        j--;
      }
    }
    outFeature[node] = feature;
    outValue[node] = threshold;
    grow(start, i, depth + 1);
    grow(i, end, depth + 1);
  };
  grow(0, psi, 0);

  return { feature: outFeature.slice(0, nodes), value: outValue.slice(0, nodes) };
}

/** Fills `out` with distinct row indices drawn uniformly from [0, rows). */
function sampleRows(rows: number, count: number, rng: SeededRandom, out: Int32Array): void {
  if (count === rows) {
    for (let i = 0; i < rows; i++) out[i] = i;
    return;
  }
  const chosen = new Set<number>();
  let k = 0;
  for (let j = rows - count; j < rows; j++) {
    const t = rng.nextInt(j + 1);
    const pick = chosen.has(t) ? j : t;
    chosen.add(pick);
    out[k++] = pick;
  }
}
