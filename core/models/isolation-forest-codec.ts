import { ColdrootError } from '../errors.js';
import type { IsolationForestParams } from './isolation-forest.js';
import type { IsolationTree } from './isolation-tree-builder.js';

/**
 * Binary form of an isolation forest, little-endian:
 *
 *   0  "CRIF"        magic
 *   4  u16           format version (1)
 *   6  u16           nFeatures
 *   8  u32 × 6       nTrees, sampleSize, maxDepth, seed, trainingRows, totalNodes
 *  32  u32 × nTrees  nodes per tree
 *      u16 × total   split feature per node in pre-order, 0xffff for a leaf
 *      pad to 8
 *      f64 × total   split threshold, or for a leaf the number of sampled rows in it
 *
 * About 10 bytes a node: 100 trees of ψ = 256 are typically 100–300 KB. Decoding checks every
 * field and the shape of every tree, so a truncated or altered model fails loudly instead of
 * scoring garbage.
 */
const MAGIC = 0x46495243; // "CRIF" read as little-endian u32
const FORMAT_VERSION = 1;
const LEAF = 0xffff;
const HEADER_BYTES = 32;

export function encodeIsolationForest(params: IsolationForestParams, trees: readonly IsolationTree[]): Uint8Array {
  const total = trees.reduce((n, t) => n + t.feature.length, 0);
  const { featureOffset, valueOffset, size } = sections(trees.length, total);
  const bytes = new Uint8Array(size);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, MAGIC, true);
  view.setUint16(4, FORMAT_VERSION, true);
  view.setUint16(6, params.nFeatures, true);
  const header = [params.nTrees, params.sampleSize, params.maxDepth, params.seed, params.trainingRows, total];
  header.forEach((v, i) => view.setUint32(8 + 4 * i, v, true));
  let node = 0;
  trees.forEach((tree, t) => {
    view.setUint32(HEADER_BYTES + 4 * t, tree.feature.length, true);
    for (let i = 0; i < tree.feature.length; i++, node++) {
      const f = tree.feature[i];
      view.setUint16(featureOffset + 2 * node, f < 0 ? LEAF : f, true);
      view.setFloat64(valueOffset + 8 * node, tree.value[i], true);
    }
  });
  return bytes;
}

export function decodeIsolationForest(bytes: Uint8Array): { params: IsolationForestParams; trees: IsolationTree[] } {
  if (bytes.length < HEADER_BYTES) corrupt(`it is ${bytes.length} bytes, shorter than the ${HEADER_BYTES}-byte header`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (view.getUint32(0, true) !== MAGIC) corrupt('it does not start with "CRIF"');
  const version = view.getUint16(4, true);
  if (version !== FORMAT_VERSION) {
    throw new ColdrootError('MODEL_UNSUPPORTED_VERSION', `Isolation forest model has format version ${version}; this build reads ${FORMAT_VERSION}`,
      'Retrain the model with this version of Coldroot.');
  }
  const nFeatures = view.getUint16(6, true);
  const [nTrees, sampleSize, maxDepth, seed, trainingRows, total] = [0, 1, 2, 3, 4, 5].map((i) => view.getUint32(8 + 4 * i, true));
  if (nFeatures < 1 || nFeatures === LEAF) corrupt(`nFeatures is ${nFeatures}`);
  if (nTrees < 1) corrupt('it has no trees');
  if (sampleSize < 2 || sampleSize > trainingRows) corrupt(`sampleSize ${sampleSize} does not fit ${trainingRows} training rows`);
  if (maxDepth < 1 || maxDepth > 64) corrupt(`maxDepth is ${maxDepth}`);
  if (bytes.length < HEADER_BYTES + 4 * nTrees) corrupt(`it is truncated inside the tree table (${bytes.length} bytes)`);
  const { featureOffset, valueOffset, size } = sections(nTrees, total);
  if (bytes.length !== size) corrupt(`it is ${bytes.length} bytes; its header describes ${size}`);

  const trees: IsolationTree[] = [];
  let node = 0;
  for (let t = 0; t < nTrees; t++) {
    const count = view.getUint32(HEADER_BYTES + 4 * t, true);
    if (count < 1 || count > total - node) corrupt(`tree ${t} claims ${count} nodes`);
    const feature = new Int32Array(count);
    const value = new Float64Array(count);
    for (let i = 0; i < count; i++, node++) {
      const f = view.getUint16(featureOffset + 2 * node, true);
      feature[i] = f === LEAF ? -1 : f;
      value[i] = view.getFloat64(valueOffset + 8 * node, true);
    }
    checkTree(t, feature, value, nFeatures, sampleSize, maxDepth);
    trees.push({ feature, value });
  }
  if (node !== total) corrupt(`its trees hold ${node} nodes; the header says ${total}`);
  return { params: { nTrees, sampleSize, maxDepth, seed, nFeatures, trainingRows }, trees };
}

function sections(nTrees: number, total: number): { featureOffset: number; valueOffset: number; size: number } {
  const featureOffset = HEADER_BYTES + 4 * nTrees;
  const valueOffset = Math.ceil((featureOffset + 2 * total) / 8) * 8;
  return { featureOffset, valueOffset, size: valueOffset + 8 * total };
}

/** Pre-order shape, depth, feature range, finite thresholds and leaf sizes that add up to ψ. */
function checkTree(t: number, feature: Int32Array, value: Float64Array, nFeatures: number, sampleSize: number, maxDepth: number): void {
  let rows = 0;
  const walk = (i: number, d: number): number => {
    if (i >= feature.length) corrupt(`tree ${t} ends inside a split`);
    if (d > maxDepth) corrupt(`tree ${t} is deeper than maxDepth ${maxDepth}`);
    const v = value[i];
    if (feature[i] < 0) {
      if (!Number.isInteger(v) || v < 1) corrupt(`tree ${t} node ${i} is a leaf of ${v} rows`);
      rows += v;
      return i + 1;
    }
    if (feature[i] >= nFeatures) corrupt(`tree ${t} node ${i} splits on feature ${feature[i]} of ${nFeatures}`);
    if (!Number.isFinite(v)) corrupt(`tree ${t} node ${i} has threshold ${v}`);
    return walk(walk(i + 1, d + 1), d + 1);
  };
  if (walk(0, 0) !== feature.length) corrupt(`tree ${t} has nodes after its last leaf`);
  if (rows !== sampleSize) corrupt(`tree ${t} leaves hold ${rows} rows, not the sample size ${sampleSize}`);
}

function corrupt(why: string): never {
  throw new ColdrootError('MODEL_CORRUPT', `Isolation forest model is not valid: ${why}`,
    'The stored model is damaged or not a Coldroot model; retrain it with `coldroot models train`.');
}
