// The CLI on a real PKCS#11 token (SoftHSM2, its own SOFTHSM2_CONF): CA keys generated on the token,
// sensitive and never-extractable; everything signed is checked with openssl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coldroot, homeFingerprint } from './helpers/cli.js';
import { openssl, opensslCsr } from './helpers/openssl.js';
import { createSoftHsmToken, softHsmAvailable, type SoftHsmToken } from './helpers/softhsm.js';

const available = softHsmAvailable();
if (!available.ok) console.log(`# skipping SoftHSM CLI tests: ${available.reason}`);

describe('CLI on SoftHSM2', { skip: available.ok ? false : available.reason }, () => {
  let token: SoftHsmToken;
  let dir: string;
  let home: string;
  let env: NodeJS.ProcessEnv;
  let root: any;
  let sub: any;
  const run = (...args: string[]) => coldroot(['--home', home, ...args, '--json'], env);
  const file = (n: string) => join(dir, n);
  const hsm = () => ['--pkcs11-module', token.modulePath, '--token-label', token.label, '--pin-env', 'HSM_PIN'];

  before(() => {
    token = createSoftHsmToken({ label: 'coldroot-ca', pin: '246810', soPin: '13579135' });
    dir = mkdtempSync(join(tmpdir(), 'coldroot-hsm-cli-'));
    home = join(dir, 'home');
    env = { SOFTHSM2_CONF: token.confPath, HSM_PIN: token.pin, WRONG_PIN: '000000' };
    assert.equal(coldroot(['init', '--home', home], env).code, 0);
    const r = run('ca', 'create-root', '--name', 'CN=HSM Root CA,O=Coldroot Tests', '--algorithm', 'ecdsa-p256', ...hsm());
    assert.equal(r.code, 0, r.stderr);
    root = r.json;
    const s = run('ca', 'create-intermediate', '--parent', root.id, '--name', 'CN=HSM Issuing CA,O=Coldroot Tests', '--algorithm', 'ecdsa-p384', ...hsm());
    assert.equal(s.code, 0, s.stderr);
    sub = s.json;
    writeFileSync(file('root.pem'), root.certificatePem);
    writeFileSync(file('sub.pem'), sub.certificatePem);
    writeFileSync(file('chain.pem'), sub.certificatePem + root.certificatePem);
  });

  after(() => {
    token?.cleanup();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('CA keys live on the token, referenced by PKCS#11 URI', () => {
    assert.match(root.keyUri, /^pkcs11:.*token=coldroot-ca/);
    assert.match(root.keyUri, /module-path=/);
    assert.doesNotMatch(root.keyUri, /pin/i, 'the PIN is never stored');
    assert.equal(openssl(['verify', '-CAfile', file('root.pem'), file('sub.pem')]).code, 0);
  });

  test('pkcs11-tool shows the CA private keys sensitive and never extractable', () => {
    const r = spawnSync('pkcs11-tool', ['--module', token.modulePath, '--token-label', token.label, '--login', '--pin', token.pin, '--list-objects', '--type', 'privkey'], { env: token.env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const blocks = r.stdout.split(/(?=Private Key Object)/).filter((b) => b.startsWith('Private Key Object'));
    assert.equal(blocks.length, 2, r.stdout);
    for (const b of blocks) {
      assert.match(b, /Access:\s+sensitive, always sensitive, never extractable, local/, b);
    }
  });

  test('issue, revoke, CRL and OCSP on the token verify with openssl', () => {
    const a = opensslCsr(dir, 'web', '/CN=hsm.example.com', 'DNS:hsm.example.com');
    const i = run('issue', '--ca', sub.id, '--profile', 'tls-server', '--csr', a.csr, '--out', file('web.pem'), '--pin-env', 'HSM_PIN');
    assert.equal(i.code, 0, i.stderr);
    const b = opensslCsr(dir, 'dev', '/CN=device-0001', undefined);
    const d = run('issue', '--ca', sub.id, '--profile', 'device-management', '--csr', b.csr, '--out', file('dev.pem'), '--pin-env', 'HSM_PIN');
    assert.equal(d.code, 0, d.stderr);
    assert.equal(Math.round((Date.parse(d.json.notAfter) - Date.parse(d.json.notBefore)) / 86_400_000), 365);
    assert.equal(run('revoke', '--ca', sub.id, '--serial', d.json.serial, '--reason', 'superseded').code, 0);
    assert.equal(run('crl', '--ca', sub.id, '--out', file('sub.crl'), '--pin-env', 'HSM_PIN').code, 0);
    assert.equal(run('crl', '--ca', root.id, '--out', file('root.crl'), '--pin-env', 'HSM_PIN').code, 0);
    writeFileSync(file('crls.pem'), readFileSync(file('sub.crl'), 'utf8') + readFileSync(file('root.crl'), 'utf8'));
    const good = openssl(['verify', '-crl_check_all', '-CAfile', file('chain.pem'), '-CRLfile', file('crls.pem'), '-purpose', 'sslserver', file('web.pem')]);
    assert.equal(good.code, 0, good.stdout + good.stderr);
    const bad = openssl(['verify', '-crl_check_all', '-CAfile', file('chain.pem'), '-CRLfile', file('crls.pem'), file('dev.pem')]);
    assert.match(bad.stdout + bad.stderr, /certificate revoked/);
    assert.match(openssl(['crl', '-in', file('sub.crl'), '-CAfile', file('chain.pem'), '-noout']).stderr, /verify OK/);
    const o = run('ocsp', 'presign', '--ca', sub.id, '--out', file('ocsp'), '--pin-env', 'HSM_PIN');
    assert.equal(o.code, 0, o.stderr);
    const resp = openssl(['ocsp', '-respin', join(file('ocsp'), `${i.json.serial}.der`), '-issuer', file('sub.pem'), '-CAfile', file('chain.pem'), '-no_nonce', '-cert', file('web.pem')]);
    assert.match(resp.stderr + resp.stdout, /Response verify OK/);
    assert.match(resp.stdout, /web.pem: good/);
  });

  describe('token errors: exit 2, database unchanged', () => {
    function rejected(args: string[], extraEnv: NodeJS.ProcessEnv, code: string, message: RegExp): void {
      const before = homeFingerprint(home);
      const r = coldroot(['--home', home, ...args, '--json'], { ...env, ...extraEnv });
      assert.equal(r.code, 2, r.stdout + r.stderr);
      assert.equal(r.json?.error?.code, code, r.stdout);
      assert.match(r.json.error.message, message);
      assert.equal(homeFingerprint(home), before);
    }

    test('wrong PIN', () => {
      const a = opensslCsr(dir, 'w', '/CN=w.example.com', 'DNS:w.example.com');
      rejected(['issue', '--ca', sub.id, '--csr', a.csr, '--out', file('w.pem'), '--pin-env', 'WRONG_PIN'], {}, 'PKCS11_PIN_INCORRECT', /PIN/);
    });

    test('missing PKCS#11 module', () => {
      rejected(['ca', 'create-root', '--name', 'CN=Nowhere Root', '--pkcs11-module', '/nonexistent/libvendor.so', '--token-label', 'x', '--pin-env', 'HSM_PIN'], {}, 'PKCS11_MODULE_NOT_FOUND', /\/nonexistent\/libvendor.so/);
    });

    test('token not found', () => {
      rejected(['ca', 'create-root', '--name', 'CN=Elsewhere Root', '--pkcs11-module', token.modulePath, '--token-label', 'no-such-token', '--pin-env', 'HSM_PIN'], {}, 'PKCS11_TOKEN_NOT_FOUND', /no-such-token/);
    });
  });
});
