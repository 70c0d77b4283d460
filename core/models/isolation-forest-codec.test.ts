import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matrixFromRows } from './feature-matrix.js';
import { IsolationForest } from './isolation-forest.js';

const x = matrixFromRows(Array.from({ length: 64 }, (_, i) => [i % 8, Math.floor(i / 8), (i * 37) % 11]));
const forest = IsolationForest.fit(x, { seed: 4, nTrees: 3 });
const good = forest.toBytes();

function altered(edit: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = good.slice();
  edit(new DataView(bytes.buffer), bytes);
  return bytes;
}

/** Offsets of the sections, from the header (see isolation-forest-codec.ts). */
const view = new DataView(good.buffer);
const nTrees = view.getUint32(8, true);
const total = view.getUint32(28, true);
const featureOffset = 32 + 4 * nTrees;
const valueOffset = Math.ceil((featureOffset + 2 * total) / 8) * 8;

test('the header records the parameters and the layout is as documented', () => {
  assert.equal(new TextDecoder().decode(good.subarray(0, 4)), 'CRIF');
  assert.equal(view.getUint16(4, true), 1);
  assert.equal(view.getUint16(6, true), 3);
  assert.deepEqual([8, 12, 16, 20, 24].map((o) => view.getUint32(o, true)), [3, 64, 6, 4, 64]);
  assert.equal(good.length, valueOffset + 8 * total);
  assert.equal(view.getUint16(featureOffset, true) < 3, true, 'root is a split');
});

test('damaged models are rejected with the reason', () => {
  const cases: [string, Uint8Array, string][] = [
    ['truncated', good.subarray(0, good.length - 1),
      `Isolation forest model is not valid: it is ${good.length - 1} bytes; its header describes ${good.length}`],
    ['short', good.subarray(0, 10), 'Isolation forest model is not valid: it is 10 bytes, shorter than the 32-byte header'],
    ['magic', altered((_, b) => { b[0] = 0x58; }), 'Isolation forest model is not valid: it does not start with "CRIF"'],
    ['feature out of range', altered((v) => v.setUint16(featureOffset, 3, true)),
      'Isolation forest model is not valid: tree 0 node 0 splits on feature 3 of 3'],
    ['threshold NaN', altered((v) => v.setFloat64(valueOffset, NaN, true)),
      'Isolation forest model is not valid: tree 0 node 0 has threshold NaN'],
    ['root turned into a leaf', altered((v) => { v.setUint16(featureOffset, 0xffff, true); v.setFloat64(valueOffset, 64, true); }),
      'Isolation forest model is not valid: tree 0 has nodes after its last leaf'],
    ['leaf size changed', altered((v) => {
      let i = 0;
      while (v.getUint16(featureOffset + 2 * i, true) !== 0xffff) i++;
      v.setFloat64(valueOffset + 8 * i, v.getFloat64(valueOffset + 8 * i, true) + 1, true);
    }), 'Isolation forest model is not valid: tree 0 leaves hold 65 rows, not the sample size 64'],
    ['sample size beyond training rows', altered((v) => v.setUint32(12, 65, true)),
      'Isolation forest model is not valid: sampleSize 65 does not fit 64 training rows'],
  ];
  for (const [name, bytes, message] of cases) {
    assert.throws(() => IsolationForest.fromBytes(bytes), { code: 'MODEL_CORRUPT', message }, name);
  }
  assert.throws(() => IsolationForest.fromBytes(altered((v) => v.setUint16(4, 2, true))), {
    code: 'MODEL_UNSUPPORTED_VERSION',
    message: 'Isolation forest model has format version 2; this build reads 1',
  });
});

test('every single-byte truncation point is rejected, never half-loaded', () => {
  for (let n = 0; n < good.length; n += 7) {
    assert.throws(() => IsolationForest.fromBytes(good.subarray(0, n)), { code: 'MODEL_CORRUPT' }, `length ${n}`);
  }
});
