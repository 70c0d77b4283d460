// `coldroot tpm …`: vendor roots (added once, audited, refused when not a CA), listing, nonces.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coldroot, homeFingerprint } from './helpers/cli.js';
import { openssl } from './helpers/openssl.js';

let dir: string;
let home: string;
const run = (...args: string[]) => coldroot(['--home', home, '--json', ...args]);

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'coldroot-tpm-cli-'));
  home = join(dir, 'home');
  assert.equal(coldroot(['--home', home, 'init']).code, 0);
  // A vendor root and an issuing CA under it, and a leaf, made by openssl (the vendor's side).
  const ext = (e: string) => ['-addext', e];
  assert.equal(openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'root.key'), '-out', join(dir, 'root.pem'), '-subj', '/CN=Example TPM Root', '-days', '3650',
    ...ext('basicConstraints=critical,CA:TRUE'), ...ext('keyUsage=critical,keyCertSign,cRLSign')]).code, 0);
  writeFileSync(join(dir, 'ica.ext'), 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n');
  assert.equal(openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'ica.key'), '-out', join(dir, 'ica.csr'), '-subj', '/CN=Example TPM EK CA']).code, 0);
  assert.equal(openssl(['x509', '-req', '-in', join(dir, 'ica.csr'), '-CA', join(dir, 'root.pem'), '-CAkey', join(dir, 'root.key'), '-out', join(dir, 'ica.pem'), '-days', '3000', '-set_serial', '7',
    '-extfile', join(dir, 'ica.ext')]).code, 0);
  assert.equal(openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, 'leaf.key'), '-out', join(dir, 'leaf.pem'), '-subj', '/CN=not a CA', '-days', '30',
    ...ext('basicConstraints=critical,CA:FALSE')]).code, 0);
});
after(() => rmSync(dir, { recursive: true, force: true }));

describe('coldroot tpm', () => {
  test('an intermediate alone does not chain to a vendor root yet: exit 2, nothing stored', () => {
    const before = homeFingerprint(home);
    const r = run('tpm', 'add-vendor-root', join(dir, 'ica.pem'));
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'VENDOR_ROOT_INVALID');
    assert.match(r.json.error.message, new RegExp(`^CN=Example TPM EK CA in ${join(dir, 'ica.pem')} is not usable at \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z: NO_PATH: no path to a trust anchor: issuer 'CN=Example TPM Root' of certificate 'CN=Example TPM EK CA' is neither a trust anchor nor among the intermediates$`));
    assert.equal(r.json.error.hint, 'Add the vendor root it chains to in the same file or first');
    assert.equal(homeFingerprint(home), before);
  });

  test('a certificate that is not a CA is refused with its name', () => {
    const r = run('tpm', 'add-vendor-root', join(dir, 'leaf.pem'));
    assert.equal(r.code, 2);
    assert.deepEqual(r.json.error, { code: 'VENDOR_ROOT_INVALID', message: `CN=not a CA in ${join(dir, 'leaf.pem')} is not a CA certificate (basicConstraints cA is not set)`, hint: 'Add the vendor CA certificates that issue EK certificates, not an EK certificate itself' });
  });

  test('the root, then its issuing CA; a second add changes nothing; both listed', () => {
    const root = run('tpm', 'add-vendor-root', join(dir, 'root.pem'));
    assert.equal(root.code, 0, root.stdout + root.stderr);
    assert.deepEqual(root.json.added.map((a: any) => [a.kind, a.subject]), [['root', 'CN=Example TPM Root']]);
    const ica = run('tpm', 'add-vendor-root', join(dir, 'ica.pem'));
    assert.equal(ica.code, 0, ica.stdout + ica.stderr);
    assert.deepEqual(ica.json.added.map((a: any) => [a.kind, a.subject]), [['intermediate', 'CN=Example TPM EK CA']]);
    const before = homeFingerprint(home);
    assert.deepEqual(run('tpm', 'add-vendor-root', join(dir, 'root.pem')).json, { added: [], present: ['CN=Example TPM Root'] });
    assert.equal(homeFingerprint(home), before);
    assert.deepEqual(run('tpm', 'vendor-roots').json.map((v: any) => v.subject), ['CN=Example TPM Root', 'CN=Example TPM EK CA']);
    const text = coldroot(['--home', home, 'tpm', 'enrolments']);
    assert.equal(text.stdout.trim(), 'No enrolled TPMs; hosts enrol theirs with a renewal request while their certificate is valid');
  });

  test('issue-nonce: 32 random bytes for the host, 400 days; a bad host name is exit 2', () => {
    const r = run('tpm', 'issue-nonce', '--host', 'dev-1.fleet.example');
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.json.nonce, /^[0-9a-f]{64}$/);
    assert.equal(Date.parse(r.json.expiresAt) - Date.parse(r.json.issuedAt), 400 * 86_400_000);
    const bad = run('tpm', 'issue-nonce', '--host', 'no spaces');
    assert.equal(bad.code, 2);
    assert.equal(bad.json.error.message, "'no spaces' is not a host name");
    const audit = run('audit', 'verify');
    assert.equal(audit.json.ok, true);
  });
});
