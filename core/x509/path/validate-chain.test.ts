import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { AT, issue, newKeys } from './test-pki.js';
import { validatePath } from './validate-path.js';

describe('pathLenConstraint (RFC 5280 §4.2.1.9)', () => {
  test('pathLen 0 allows an end entity but no further CA', async () => {
    const root = await issue('CN=Root', { ca: true });
    const ica = await issue('CN=ICA', { ca: { pathLen: 0 }, issuer: root });
    const sub = await issue('CN=Sub CA', { ca: true, issuer: ica });
    const leaf = await issue('CN=leaf', { issuer: ica });
    const deep = await issue('CN=deep leaf', { issuer: sub });
    assert.equal(validatePath({ leaf: leaf.der, intermediates: [ica.der], trustAnchors: [root.der], at: AT }).ok, true);
    assert.deepEqual(validatePath({ leaf: deep.der, intermediates: [ica.der, sub.der], trustAnchors: [root.der], at: AT }), {
      ok: false,
      code: 'PATH_LENGTH_EXCEEDED',
      message: "issuer 'CN=ICA' allows 0 intermediate CA certificate(s) below it (pathLenConstraint), but the path has 1",
      certificate: 'CN=ICA',
    });
  });

  test("the anchor's own pathLen applies, and a CA leaf does not count", async () => {
    const root = await issue('CN=Root', { ca: { pathLen: 0 } });
    const ica = await issue('CN=ICA', { ca: true, issuer: root });
    assert.equal(validatePath({ leaf: ica.der, trustAnchors: [root.der], at: AT }).ok, true);
    const leaf = await issue('CN=leaf', { issuer: ica });
    const r = validatePath({ leaf: leaf.der, intermediates: [ica.der], trustAnchors: [root.der], at: AT });
    assert.equal(r.ok ? 'ok' : r.code, 'PATH_LENGTH_EXCEEDED');
  });

  test('self-issued intermediates (key rollover) are not counted', async () => {
    const root = await issue('CN=Root', { ca: true });
    const ica = await issue('CN=ICA', { ca: { pathLen: 0 }, issuer: root });
    const rolled = await issue('CN=ICA', { ca: true, issuer: ica, keys: await newKeys() });
    const leaf = await issue('CN=leaf', { issuer: rolled });
    assert.equal(validatePath({ leaf: leaf.der, intermediates: [ica.der, rolled.der], trustAnchors: [root.der], at: AT }).ok, true);
  });
});
