import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { isColdrootError } from '../errors.js';
import { keyAlgorithmInfo, type KeyAlgorithm } from './key-algorithm.js';
import type { Signer } from './signer.js';

/*
 * The behaviour every Signer implementation owes the CA code, registered as node:test tests.
 * Each implementation's test file calls runSignerContract once; `make` returns a fresh signer
 * holding a fresh key of the given algorithm. Signatures are checked by node:crypto AND openssl.
 */

const CONCURRENT_SIGNS = 200;

interface Expectation {
  keyType: string;
  details: Record<string, unknown>;
  /** Byte length of every signature, or [min, max] for DER ECDSA. */
  sigLength: number | [number, number];
}

function expectationFor(alg: KeyAlgorithm): Expectation {
  const info = keyAlgorithmInfo(alg);
  switch (info.family) {
    case 'rsa':
      return { keyType: 'rsa', details: { modulusLength: info.modulusBits, publicExponent: 65537n }, sigLength: info.modulusBits! / 8 };
    case 'ec':
      // DER SEQUENCE of two INTEGERs of at most (field size + 1) bytes each.
      return alg === 'ecdsa-p256'
        ? { keyType: 'ec', details: { namedCurve: 'prime256v1' }, sigLength: [8, 72] }
        : { keyType: 'ec', details: { namedCurve: 'secp384r1' }, sigLength: [8, 104] };
    case 'ed25519':
      return { keyType: 'ed25519', details: {}, sigLength: 64 };
  }
}

function assertSigLength(sig: Uint8Array, e: Expectation): void {
  if (typeof e.sigLength === 'number') assert.equal(sig.length, e.sigLength, 'signature length');
  else assert.ok(sig.length >= e.sigLength[0] && sig.length <= e.sigLength[1], `DER ECDSA signature length ${sig.length} out of range`);
}

function openssl(args: string[], cwd: string): { status: number | null; out: string } {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl could not run: ${r.error.message}`);
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

export function runSignerContract(name: string, make: (alg: KeyAlgorithm) => Promise<Signer>, algorithms: KeyAlgorithm[]): void {
  for (const alg of algorithms) {
    const info = keyAlgorithmInfo(alg);
    const expect = expectationFor(alg);
    const ok = (key: KeyObject, data: Uint8Array, sig: Uint8Array, hash: string | null = info.hash) =>
      verify(hash, data, { key, dsaEncoding: 'der' }, sig);

    describe(`Signer contract: ${name} ${alg}`, () => {
      let signer: Signer;
      let key: KeyObject;
      let dir: string;

      before(async () => {
        signer = await make(alg);
        key = createPublicKey({ key: Buffer.from(await signer.publicKey()), format: 'der', type: 'spki' });
        dir = mkdtempSync(join(tmpdir(), 'coldroot-signer-contract-'));
      });
      after(async () => {
        await signer?.close();
        if (dir) rmSync(dir, { recursive: true, force: true });
      });

      test('reports its algorithm and a key URI', () => {
        assert.equal(signer.algorithm, alg);
        assert.match(signer.keyUri, /^[a-z0-9]+:./);
      });

      test(`publicKey() is a canonical DER SubjectPublicKeyInfo of ${alg}`, async () => {
        const spki = await signer.publicKey();
        assert.equal(key.asymmetricKeyType, expect.keyType);
        for (const [k, v] of Object.entries(expect.details)) assert.equal((key.asymmetricKeyDetails as Record<string, unknown>)[k], v, k);
        // Re-encoding gives the same bytes: no trailing data, no non-canonical DER.
        assert.deepEqual(new Uint8Array(key.export({ type: 'spki', format: 'der' })), new Uint8Array(spki));
      });

      test(`sign() output verifies with node:crypto over ${info.hash ?? 'the message itself'}; other messages and altered signatures fail`, async () => {
        const data = new TextEncoder().encode(`tbsCertificate of ${name} ${alg}`);
        const sig = await signer.sign(data);
        assertSigLength(sig, expect);
        assert.equal(ok(key, data, sig), true, 'signature verifies');
        assert.equal(ok(key, new TextEncoder().encode('another message'), sig), false, 'another message fails');
        const flipped = sig.slice();
        flipped[flipped.length - 1] ^= 0x01;
        assert.equal(ok(key, data, flipped), false, 'altered signature fails');
        if (info.hash) assert.equal(ok(key, data, sig, info.hash === 'sha256' ? 'sha384' : 'sha256'), false, 'the wrong hash fails');
      });

      test('signs a 1-byte message and a 1 MiB message', async () => {
        for (const data of [new Uint8Array([0]), new Uint8Array(1 << 20).fill(0xa5)]) {
          assert.equal(ok(key, data, await signer.sign(data)), true, `${data.length}-byte message`);
        }
      });

      test('openssl verifies a signature with the SPKI as PEM, and rejects another message', async () => {
        const data = new TextEncoder().encode(`checked by openssl: ${alg}`);
        writeFileSync(join(dir, 'pub.pem'), key.export({ type: 'spki', format: 'pem' }));
        writeFileSync(join(dir, 'data.bin'), data);
        writeFileSync(join(dir, 'other.bin'), 'something else');
        writeFileSync(join(dir, 'sig.bin'), await signer.sign(data));
        const check = (file: string) =>
          info.hash
            ? openssl(['dgst', `-${info.hash}`, '-verify', 'pub.pem', '-signature', 'sig.bin', file], dir)
            : openssl(['pkeyutl', '-verify', '-pubin', '-inkey', 'pub.pem', '-rawin', '-in', file, '-sigfile', 'sig.bin'], dir);
        const good = check('data.bin');
        assert.equal(good.status, 0, good.out);
        assert.match(good.out, /Verified OK|Signature Verified Successfully/);
        const bad = check('other.bin');
        assert.notEqual(bad.status, 0, bad.out);
      });

      test(`${CONCURRENT_SIGNS} concurrent sign() calls all succeed and verify`, async () => {
        const messages = Array.from({ length: CONCURRENT_SIGNS }, (_, i) => new TextEncoder().encode(`message ${i}`));
        const sigs = await Promise.all(messages.map((m) => signer.sign(m)));
        sigs.forEach((sig, i) => assert.equal(ok(key, messages[i], sig), true, `signature ${i}`));
      });

      test('signMany, where offered, keeps the input order and every signature verifies', async (t) => {
        const many = (signer as Signer & { signMany?: (items: Uint8Array[]) => Promise<Uint8Array[]> }).signMany;
        if (typeof many !== 'function') return t.skip(`${name} has no signMany`);
        const messages = Array.from({ length: 50 }, (_, i) => new TextEncoder().encode(`batch item ${i}`));
        const sigs = await many.call(signer, messages);
        assert.equal(sigs.length, messages.length);
        sigs.forEach((sig, i) => assert.equal(ok(key, messages[i], sig), true, `item ${i}`));
        assert.deepEqual(await many.call(signer, []), []);
      });

      // Last: it closes the signer the other tests share.
      test('close() is idempotent, and sign() afterwards fails with SIGNER_CLOSED naming the key', async () => {
        await signer.close();
        await signer.close();
        await assert.rejects(signer.sign(new Uint8Array([1])), (e: unknown) => {
          assert.ok(isColdrootError(e), `expected a ColdrootError, got ${String(e)}`);
          assert.equal(e.code, 'SIGNER_CLOSED');
          assert.ok(e.message.includes(signer.keyUri), e.message);
          return true;
        });
      });
    });
  }
}
