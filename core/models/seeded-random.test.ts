import { test } from 'node:test';
import assert from 'node:assert/strict';
import { SeededRandom } from './seeded-random.js';

test('xoshiro128** matches the reference C output for state {1, 2, 3, 4}', () => {
  const r = SeededRandom.fromState([1, 2, 3, 4]);
  const got = Array.from({ length: 6 }, () => r.nextUint32());
  assert.deepEqual(got, [11520, 0, 5927040, 70819200, 2031721883, 1637235492]);
});

test('the same seed and stream repeat; other seeds and streams differ', () => {
  const draw = (seed: number, stream: number) => {
    const r = new SeededRandom(seed, stream);
    return Array.from({ length: 8 }, () => r.nextUint32());
  };
  assert.deepEqual(draw(42, 3), draw(42, 3));
  assert.notDeepEqual(draw(42, 3), draw(43, 3));
  assert.notDeepEqual(draw(42, 3), draw(42, 4));
});

test('nextFloat lies in [0, 1) and nextInt covers its range evenly', () => {
  const r = new SeededRandom(7);
  let min = 1;
  let max = 0;
  for (let i = 0; i < 10_000; i++) {
    const v = r.nextFloat();
    min = Math.min(min, v);
    max = Math.max(max, v);
  }
  assert.ok(min >= 0 && min < 0.001, `min ${min}`);
  assert.ok(max < 1 && max > 0.999, `max ${max}`);

  const counts = new Array(6).fill(0);
  for (let i = 0; i < 60_000; i++) counts[r.nextInt(6)]++;
  for (const c of counts) assert.ok(Math.abs(c - 10_000) < 400, `bucket count ${c}`);
  assert.throws(() => r.nextInt(0), /nextInt bound/);
});
