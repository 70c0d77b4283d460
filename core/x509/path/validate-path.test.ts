import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PATH_FAILURE_CODES } from './path-failure.js';
import { AT, simplePki, type TestCert } from './test-pki.js';
import { validatePath, type PathValidationInput } from './validate-path.js';

describe('validatePath', () => {
  let pki: { root: TestCert; intermediate: TestCert; leaf: TestCert };
  let base: PathValidationInput;
  before(async () => {
    pki = await simplePki();
    base = { leaf: pki.leaf.der, intermediates: [pki.intermediate.der], trustAnchors: [pki.root.der], at: AT };
  });

  test('a valid chain with every option set succeeds', () => {
    const r = validatePath({ ...base, purpose: 'serverAuth', keyUsage: ['digitalSignature'], hostname: 'leaf.example.com', maxDepth: 1 });
    assert.ok(r.ok);
    assert.equal(r.chain.length, 3);
  });

  test('never throws, and never accepts a certificate with any single byte changed', () => {
    const der = pki.leaf.der;
    for (let i = 0; i < der.length; i++) {
      const mutated = new Uint8Array(der);
      mutated[i] ^= 0x5a;
      const r = validatePath({ ...base, leaf: mutated });
      assert.ok(!r.ok, `mutation at offset ${i} was accepted`);
      assert.ok((PATH_FAILURE_CODES as readonly string[]).includes(r.code), `unexpected code ${r.code} at offset ${i}`);
    }
    for (let n = 0; n < der.length; n += 17) {
      const r = validatePath({ ...base, leaf: der.subarray(0, n) });
      assert.deepEqual(r.ok ? 'ok' : r.code, 'MALFORMED', `truncation at ${n}`);
    }
  });

  test('garbage anywhere in the input is MALFORMED or ignored, never an exception', () => {
    const junk = new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]);
    assert.equal(validatePath({ ...base, leaf: new Uint8Array(0) }).ok, false);
    assert.equal(validatePath({ ...base, trustAnchors: [junk, pki.root.der], intermediates: [junk, pki.intermediate.der] }).ok, true);
    const r = validatePath({ ...base, crls: [junk] });
    assert.equal(r.ok ? 'ok' : r.code, 'MALFORMED');
  });

  test('unusable options are INVALID_INPUT', () => {
    const code = (extra: Record<string, unknown>) => {
      const r = validatePath({ ...base, ...extra } as PathValidationInput);
      return r.ok ? 'ok' : r.code;
    };
    assert.equal(code({ at: new Date('not a date') }), 'INVALID_INPUT');
    assert.equal(code({ maxDepth: -1 }), 'INVALID_INPUT');
    assert.equal(code({ maxDepth: 1.5 }), 'INVALID_INPUT');
    assert.equal(code({ leaf: 'MIIB...' }), 'INVALID_INPUT');
    assert.equal(code({ trustAnchors: undefined }), 'INVALID_INPUT');
  });

  test('no trust anchors means no path', () => {
    const r = validatePath({ ...base, trustAnchors: [] });
    assert.equal(r.ok ? 'ok' : r.code, 'NO_PATH');
  });
});
