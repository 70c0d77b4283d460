import { averagePathLength } from './average-path-length.js';
import type { IsolationTree } from './isolation-tree-builder.js';

/**
 * Scoring layouts compiled from pre-order trees. Neither is serialized; both are rebuilt on load.
 *
 * Complete layout (maxDepth ≤ COMPLETE_LAYOUT_MAX_DEPTH): every tree is padded to a complete binary
 * tree of depth D, node k's children at 2k+1 and 2k+2. A leaf above depth D becomes a chain of
 * pass-through nodes (threshold +∞, so every finite value goes left) ending in a leaf that holds
 * the original leaf's path length. Scoring then walks exactly D levels with no data-dependent
 * branch: the comparison result is added to the child index. Eight rows are walked side by side
 * so the CPU overlaps their load chains; measured here this was about 2× a one-row loop.
 *
 * Sparse layout (deeper trees, where 2^D slots per tree would cost too much memory): the
 * pre-order arrays plus right-child indices, walked with an ordinary branch per node.
 */
export const COMPLETE_LAYOUT_MAX_DEPTH = 12;

/** Rows per block: a block of features stays in L1 cache while every tree walks it. */
const BLOCK_ROWS = 256;

export interface CompleteLayout {
  readonly kind: 'complete';
  readonly depth: number;
  readonly nTrees: number;
  /** nTrees × (2^depth − 1) split features. */
  readonly feature: Int32Array;
  /** nTrees × (2^depth − 1) split thresholds. */
  readonly threshold: Float64Array;
  /** nTrees × 2^depth path lengths: depth of the original leaf + c(rows in it). */
  readonly leafPath: Float64Array;
}

export interface SparseLayout {
  readonly kind: 'sparse';
  readonly nTrees: number;
  readonly roots: Int32Array;
  readonly feature: Int32Array;
  readonly threshold: Float64Array;
  readonly right: Int32Array;
  readonly leafPath: Float64Array;
}

export type ForestLayout = CompleteLayout | SparseLayout;

export function compileForest(trees: readonly IsolationTree[], maxDepth: number): ForestLayout {
  return maxDepth <= COMPLETE_LAYOUT_MAX_DEPTH ? compileComplete(trees, maxDepth) : compileSparse(trees);
}

export function compileComplete(trees: readonly IsolationTree[], depth: number): CompleteLayout {
  const inner = (1 << depth) - 1;
  const leaves = 1 << depth;
  const feature = new Int32Array(trees.length * inner);
  const threshold = new Float64Array(trees.length * inner);
  const leafPath = new Float64Array(trees.length * leaves);
  trees.forEach((tree, t) => {
    const fo = t * inner;
    const lo = t * leaves - inner;
    const pad = (slot: number, d: number, path: number): void => {
      if (d === depth) {
        leafPath[lo + slot] = path;
        return;
      }
      feature[fo + slot] = 0;
      threshold[fo + slot] = Infinity;
      pad(2 * slot + 1, d + 1, path);
      pad(2 * slot + 2, d + 1, path);
    };
    // Returns the pre-order index after node i's subtree.
    const place = (i: number, slot: number, d: number): number => {
      if (tree.feature[i] < 0) {
        pad(slot, d, d + averagePathLength(tree.value[i]));
        return i + 1;
      }
      feature[fo + slot] = tree.feature[i];
      threshold[fo + slot] = tree.value[i];
      const next = place(i + 1, 2 * slot + 1, d + 1);
      return place(next, 2 * slot + 2, d + 1);
    };
    place(0, 0, 0);
  });
  return { kind: 'complete', depth, nTrees: trees.length, feature, threshold, leafPath };
}

export function compileSparse(trees: readonly IsolationTree[]): SparseLayout {
  const total = trees.reduce((n, t) => n + t.feature.length, 0);
  const roots = new Int32Array(trees.length);
  const feature = new Int32Array(total);
  const threshold = new Float64Array(total);
  const right = new Int32Array(total);
  const leafPath = new Float64Array(total);
  let offset = 0;
  trees.forEach((tree, t) => {
    roots[t] = offset;
    const base = offset;
    const place = (i: number, d: number): number => {
      if (tree.feature[i] < 0) {
        feature[base + i] = -1;
        leafPath[base + i] = d + averagePathLength(tree.value[i]);
        return i + 1;
      }
      feature[base + i] = tree.feature[i];
      threshold[base + i] = tree.value[i];
      const next = place(i + 1, d + 1);
      right[base + i] = base + next;
      return place(next, d + 1);
    };
    place(0, 0);
    offset += tree.feature.length;
  });
  return { kind: 'sparse', nTrees: trees.length, roots, feature, threshold, right, leafPath };
}

/** Writes the sum over trees of each row's path length into out[0..rows). */
export function sumPathLengths(layout: ForestLayout, x: Float64Array, rows: number, cols: number, out: Float64Array): void {
  if (layout.kind === 'complete') sumComplete(layout, x, rows, cols, out);
  else sumSparse(layout, x, rows, cols, out);
}

function sumComplete(layout: CompleteLayout, x: Float64Array, rows: number, cols: number, out: Float64Array): void {
  const { depth: D, nTrees, feature: cf, threshold: ct, leafPath: cl } = layout;
  const inner = (1 << D) - 1;
  const leaves = 1 << D;
  out.fill(0, 0, rows);
  for (let b0 = 0; b0 < rows; b0 += BLOCK_ROWS) {
    const b1 = Math.min(rows, b0 + BLOCK_ROWS);
    for (let t = 0; t < nTrees; t++) {
      const fo = t * inner;
      const lo = t * leaves - inner;
      let r = b0;
      // `((n << 1) + 1 + +(a > b)) | 0` keeps n an int32 without overflow checks and the
      // comparison branch-free; both measured as worth it in V8 (Node 20).
      for (; r + 7 < b1; r += 8) {
        const a0 = r * cols, a1 = a0 + cols, a2 = a1 + cols, a3 = a2 + cols;
        const a4 = a3 + cols, a5 = a4 + cols, a6 = a5 + cols, a7 = a6 + cols;
        let n0 = 0, n1 = 0, n2 = 0, n3 = 0, n4 = 0, n5 = 0, n6 = 0, n7 = 0;
        for (let d = 0; d < D; d++) {
          n0 = ((n0 << 1) + 1 + +(x[a0 + cf[fo + n0]] > ct[fo + n0])) | 0;
          n1 = ((n1 << 1) + 1 + +(x[a1 + cf[fo + n1]] > ct[fo + n1])) | 0;
          n2 = ((n2 << 1) + 1 + +(x[a2 + cf[fo + n2]] > ct[fo + n2])) | 0;
          n3 = ((n3 << 1) + 1 + +(x[a3 + cf[fo + n3]] > ct[fo + n3])) | 0;
          n4 = ((n4 << 1) + 1 + +(x[a4 + cf[fo + n4]] > ct[fo + n4])) | 0;
          n5 = ((n5 << 1) + 1 + +(x[a5 + cf[fo + n5]] > ct[fo + n5])) | 0;
          n6 = ((n6 << 1) + 1 + +(x[a6 + cf[fo + n6]] > ct[fo + n6])) | 0;
          n7 = ((n7 << 1) + 1 + +(x[a7 + cf[fo + n7]] > ct[fo + n7])) | 0;
        }
        out[r] += cl[lo + n0];
        out[r + 1] += cl[lo + n1];
        out[r + 2] += cl[lo + n2];
        out[r + 3] += cl[lo + n3];
        out[r + 4] += cl[lo + n4];
        out[r + 5] += cl[lo + n5];
        out[r + 6] += cl[lo + n6];
        out[r + 7] += cl[lo + n7];
      }
      for (; r < b1; r++) {
        const a = r * cols;
        let n = 0;
        for (let d = 0; d < D; d++) n = ((n << 1) + 1 + +(x[a + cf[fo + n]] > ct[fo + n])) | 0;
        out[r] += cl[lo + n];
      }
    }
  }
}

function sumSparse(layout: SparseLayout, x: Float64Array, rows: number, cols: number, out: Float64Array): void {
  const { nTrees, roots, feature, threshold, right, leafPath } = layout;
  out.fill(0, 0, rows);
  for (let b0 = 0; b0 < rows; b0 += BLOCK_ROWS) {
    const b1 = Math.min(rows, b0 + BLOCK_ROWS);
    for (let t = 0; t < nTrees; t++) {
      const root = roots[t];
      for (let r = b0; r < b1; r++) {
        const a = r * cols;
        let n = root;
        let f = feature[n];
        while (f >= 0) {
          n = x[a + f] <= threshold[n] ? n + 1 : right[n];
          f = feature[n];
        }
        out[r] += leafPath[n];
      }
    }
  }
}
