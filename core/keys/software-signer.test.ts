import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ColdrootError } from '../errors.js';
import { runSignerContract } from './signer-contract.js';
import { generateSoftwareKey, openSoftwareKey, softwareKeyPath } from './software-key-store.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-swkeys-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const PASS = 'software key passphrase';
let n = 0;

runSignerContract('software', async (alg) => generateSoftwareKey(dir, `contract-${n++}`, alg, PASS), ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'ed25519']);

describe('software key store', () => {
  test('keys are written encrypted (PKCS#8, PBES2) with mode 0600 and reopen with the passphrase', async () => {
    const s = generateSoftwareKey(dir, 'stored', 'ecdsa-p256', PASS);
    const path = softwareKeyPath(dir, 'stored');
    assert.match(readFileSync(path, 'utf8'), /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const again = openSoftwareKey(dir, s.keyUri, 'ecdsa-p256', PASS);
    assert.deepEqual(await again.publicKey(), await s.publicKey());
  });

  test('a wrong passphrase, a reused label and a short passphrase are refused with their codes', () => {
    generateSoftwareKey(dir, 'taken', 'ecdsa-p256', PASS);
    assert.throws(() => openSoftwareKey(dir, 'software:taken', 'ecdsa-p256', 'wrong passphrase!'), (e: ColdrootError) => e.code === 'PASSPHRASE_INCORRECT');
    assert.throws(() => generateSoftwareKey(dir, 'taken', 'ecdsa-p256', PASS), (e: ColdrootError) => e.code === 'KEY_LABEL_EXISTS');
    assert.throws(() => generateSoftwareKey(dir, 'short', 'ecdsa-p256', 'short'), (e: ColdrootError) => e.code === 'PASSPHRASE_TOO_SHORT');
    assert.throws(() => openSoftwareKey(dir, 'software:../etc/passwd', 'ecdsa-p256', PASS), (e: ColdrootError) => e.code === 'BAD_KEY_URI');
  });
});
