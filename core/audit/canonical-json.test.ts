import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from './canonical-json.js';

describe('canonicalJson', () => {
  test('sorts keys at every depth and writes no whitespace', () => {
    assert.equal(canonicalJson({ b: 1, a: { d: [3, { z: 0, y: null }], c: 'x' } }), '{"a":{"c":"x","d":[3,{"y":null,"z":0}]},"b":1}');
  });

  test('orders keys by UTF-16 code units, as RFC 8785 does', () => {
    // '\u00e9' (0xE9) sorts after 'z' (0x7A); '\ud83d\ude00' (0xD83D…) after '\u00e9'; 'B' before 'a'.
    assert.equal(canonicalJson({ '\ud83d\ude00': 1, 'é': 2, z: 3, a: 4, B: 5 }), '{"B":5,"a":4,"z":3,"é":2,"😀":1}');
  });

  test('writes numbers and strings as JSON.stringify does', () => {
    assert.equal(canonicalJson([1e21, 0.1, -0, 10, 'a"\\\n\u2028']), '[1e+21,0.1,0,10,"a\\"\\\\\\n\u2028"]');
  });

  test('omits undefined properties, as JSON does', () => {
    assert.equal(canonicalJson({ a: undefined, b: 2 }), '{"b":2}');
  });

  test('refuses what JSON cannot hold faithfully, naming where it is', () => {
    assert.throws(() => canonicalJson({ a: { when: new Date(0) } }), { message: 'canonicalJson: $.a.when is a Date; pass plain data (e.g. a string or hex)' });
    assert.throws(() => canonicalJson({ b: Buffer.from('x') }), { message: /\$\.b is a Buffer/ });
    assert.throws(() => canonicalJson([1, NaN]), { message: 'canonicalJson: $[1] is NaN, which JSON cannot hold' });
    assert.throws(() => canonicalJson({ n: 1n }), { message: 'canonicalJson: $.n is a bigint, which JSON cannot hold' });
    assert.throws(() => canonicalJson([undefined]), { message: 'canonicalJson: $[0] is undefined' });
  });

  test('accepts objects without a prototype', () => {
    const o = Object.create(null) as Record<string, number>;
    o.b = 1;
    o.a = 2;
    assert.equal(canonicalJson(o), '{"a":2,"b":1}');
  });
});
