import 'reflect-metadata';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as x509 from '@peculiar/x509';
import { AT, issue, newKeys, simplePki } from './test-pki.js';
import { validatePath } from './validate-path.js';

const subjects = (r: ReturnType<typeof validatePath>) =>
  r.ok ? r.chain.map((der) => new x509.X509Certificate(der).subject) : `${r.code}: ${r.message}`;

describe('path building', () => {
  test('builds leaf → intermediate → root from unordered candidates and returns the input DER objects', async () => {
    const { root, intermediate, leaf } = await simplePki();
    const unrelated = await issue('CN=Unrelated CA', { ca: true });
    const r = validatePath({ leaf: leaf.der, intermediates: [unrelated.der, intermediate.der], trustAnchors: [unrelated.der, root.der], at: AT });
    assert.deepEqual(subjects(r), ['CN=leaf.example.com', 'CN=Test Intermediate', 'CN=Test Root']);
    assert.ok(r.ok && r.chain[0] === leaf.der && r.chain[2] === root.der);
  });

  test('tries the next candidate when a same-named issuer (even with a matching key id) did not sign', async () => {
    const { root, intermediate, leaf } = await simplePki();
    const ski = intermediate.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    const impostor = await issue('CN=Test Intermediate', { ca: true, issuer: root, omit: ['ski'], extensions: [new x509.SubjectKeyIdentifierExtension(ski)] });
    const r = validatePath({ leaf: leaf.der, intermediates: [impostor.der, intermediate.der], trustAnchors: [root.der], at: AT });
    assert.ok(r.ok && r.chain[1] === intermediate.der);
    const only = validatePath({ leaf: leaf.der, intermediates: [impostor.der], trustAnchors: [root.der], at: AT });
    assert.equal(only.ok ? 'ok' : only.code, 'BAD_SIGNATURE');
    assert.match(only.ok ? '' : only.message, /^certificate 'CN=leaf.example.com' is not validly signed by 'CN=Test Intermediate': signature does not verify$/);
  });

  test('"chain of pain": skips a cross-certificate to an expired root for the path to the current root', async () => {
    const oldRoot = await issue('CN=Old Root', { ca: true, notAfter: new Date('2025-06-01T00:00:00Z'), notBefore: new Date('2020-01-01T00:00:00Z') });
    const newRoot = await issue('CN=New Root', { ca: true });
    const icaKeys = await newKeys();
    const viaOld = await issue('CN=ICA', { ca: true, issuer: oldRoot, keys: icaKeys });
    const viaNew = await issue('CN=ICA', { ca: true, issuer: newRoot, keys: icaKeys });
    const leaf = await issue('CN=leaf', { issuer: viaNew });
    const r = validatePath({ leaf: leaf.der, intermediates: [viaOld.der, viaNew.der], trustAnchors: [oldRoot.der, newRoot.der], at: AT });
    assert.deepEqual(subjects(r), ['CN=leaf', 'CN=ICA', 'CN=New Root']);
    const onlyOld = validatePath({ leaf: leaf.der, intermediates: [viaOld.der], trustAnchors: [oldRoot.der, newRoot.der], at: AT });
    assert.equal(onlyOld.ok ? 'ok' : onlyOld.message, "certificate 'CN=Old Root' expired at 2025-06-01T00:00:00Z, validation time 2026-01-01T00:00:00Z");
  });

  test('two CAs that sign each other without reaching an anchor end in NO_PATH, at once', async () => {
    const aKeys = await newKeys();
    const bKeys = await newKeys();
    const aSelf = await issue('CN=Cycle A', { ca: true, keys: aKeys });
    const bSelf = await issue('CN=Cycle B', { ca: true, keys: bKeys });
    const aByB = await issue('CN=Cycle A', { ca: true, keys: aKeys, issuer: bSelf });
    const bByA = await issue('CN=Cycle B', { ca: true, keys: bKeys, issuer: aSelf });
    const leaf = await issue('CN=leaf', { issuer: aByB });
    const anchor = await issue('CN=Elsewhere', { ca: true });
    const t0 = performance.now();
    const r = validatePath({ leaf: leaf.der, intermediates: [aByB.der, bByA.der], trustAnchors: [anchor.der], at: AT, maxDepth: 50 });
    assert.ok(performance.now() - t0 < 1000);
    assert.equal(r.ok ? 'ok' : r.code, 'NO_PATH');
  });

  test('many same-subject CAs with distinct keys exhaust the work bound instead of hanging', async () => {
    const keys = await Promise.all(Array.from({ length: 30 }, () => newKeys()));
    const hydra = [];
    for (let i = 0; i < 30; i++) {
      const signer = await issue('CN=Hydra', { ca: true, keys: keys[(i + 1) % 30] });
      hydra.push(await issue('CN=Hydra', { ca: true, keys: keys[i], issuer: signer }));
    }
    const leaf = await issue('CN=leaf', { issuer: hydra[0] });
    const anchor = await issue('CN=Elsewhere', { ca: true });
    const t0 = performance.now();
    const r = validatePath({ leaf: leaf.der, intermediates: hydra.map((h) => h.der), trustAnchors: [anchor.der], at: AT, maxDepth: 30 });
    const ms = performance.now() - t0;
    assert.equal(r.ok ? 'ok' : r.code, 'PATH_BUILDING_LIMIT');
    assert.ok(ms < 2000, `took ${ms} ms`);
  });

  test('maxDepth counts logical intermediates; self-issued rollover certificates do not count', async () => {
    const root = await issue('CN=Root', { ca: true });
    const ica1 = await issue('CN=ICA 1', { ca: true, issuer: root });
    const ica2 = await issue('CN=ICA 2', { ca: true, issuer: ica1 });
    const leaf = await issue('CN=leaf', { issuer: ica2 });
    const input = { leaf: leaf.der, intermediates: [ica1.der, ica2.der], trustAnchors: [root.der], at: AT };
    const r = validatePath({ ...input, maxDepth: 1 });
    assert.deepEqual(r.ok ? 'ok' : [r.code, r.message], ['PATH_LENGTH_EXCEEDED', "no path to a trust anchor within 1 intermediate certificate(s) (maxDepth) from 'CN=leaf'"]);
    assert.equal(validatePath({ ...input, maxDepth: 2 }).ok, true);

    const newKey = await newKeys();
    const rolled = await issue('CN=ICA 1', { ca: true, issuer: ica1, keys: newKey });
    const leaf2 = await issue('CN=leaf 2', { issuer: rolled });
    assert.equal(validatePath({ leaf: leaf2.der, intermediates: [rolled.der, ica1.der], trustAnchors: [root.der], at: AT, maxDepth: 1 }).ok, true);
  });

  test('a trusted leaf, a trusted intermediate (partial chain) and a root also listed as intermediate', async () => {
    const { root, intermediate, leaf } = await simplePki();
    assert.deepEqual(subjects(validatePath({ leaf: leaf.der, trustAnchors: [leaf.der], at: AT })), ['CN=leaf.example.com']);
    assert.deepEqual(subjects(validatePath({ leaf: leaf.der, trustAnchors: [intermediate.der], at: AT })), ['CN=leaf.example.com', 'CN=Test Intermediate']);
    const r = validatePath({ leaf: leaf.der, intermediates: [root.der, intermediate.der], trustAnchors: [root.der], at: AT });
    assert.ok(r.ok && r.chain.length === 3 && r.chain[2] === root.der);
  });

  test('unrelated broken certificates in the pool do not matter; undecodable ones are named when no path exists', async () => {
    const { root, intermediate, leaf } = await simplePki();
    const weird = await issue('CN=Test Root', { ca: true, extensions: [new x509.Extension('1.3.6.1.4.1.55738.666.1', true, new Uint8Array([5, 0]))] });
    const junk = new Uint8Array([0x30, 0x82, 0x01]);
    assert.equal(validatePath({ leaf: leaf.der, intermediates: [junk, intermediate.der], trustAnchors: [weird.der, root.der], at: AT }).ok, true);
    const r = validatePath({ leaf: leaf.der, intermediates: [junk], trustAnchors: [root.der], at: AT });
    assert.equal(
      r.ok ? 'ok' : r.message,
      "no path to a trust anchor: issuer 'CN=Test Intermediate' of certificate 'CN=leaf.example.com' is neither a trust anchor nor among the intermediates (1 supplied certificate(s) could not be decoded and were ignored)",
    );
  });

  test('a self-signed certificate that is not trusted is named as such', async () => {
    const { root } = await simplePki();
    const stranger = await issue('CN=Stranger', { ca: true });
    const r = validatePath({ leaf: stranger.der, trustAnchors: [root.der], at: AT });
    assert.deepEqual(r.ok ? 'ok' : [r.code, r.message], ['NO_PATH', "no path to a trust anchor: 'CN=Stranger' is its own issuer (self-signed) but not a trust anchor"]);
  });
});
