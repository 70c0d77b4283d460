// The CLI end to end on software keys: every certificate, CRL and OCSP response is checked with openssl,
// and every rejected input leaves the database and audit trail exactly as before.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { coldroot, homeFingerprint, REPO_ROOT } from './helpers/cli.js';
import { openssl, opensslCsr } from './helpers/openssl.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-cli-'));
const home = join(dir, 'home');
const env = { CA_PASS: 'lab passphrase for tests' };
const run = (...args: string[]) => coldroot(['--home', home, ...args, '--json'], env);
const file = (name: string) => join(dir, name);

let root: any;
let sub: any;
let leaf: any;
let revoked: any;

before(() => {
  assert.equal(coldroot(['init', '--home', home]).code, 0);
  const r = run('ca', 'create-root', '--name', 'CN=Test Root CA,O=Coldroot Tests,C=US', '--algorithm', 'ecdsa-p384', '--software', '--passphrase-env', 'CA_PASS', '--validity-days', '3650');
  assert.equal(r.code, 0, r.stderr);
  root = r.json;
  writeFileSync(file('root.pem'), root.certificatePem);
  const s = run('ca', 'create-intermediate', '--parent', root.id, '--name', 'CN=Test Issuing CA,O=Coldroot Tests', '--algorithm', 'rsa-3072', '--software', '--passphrase-env', 'CA_PASS', '--crl-url', 'http://pki.example/issuing.crl', '--ocsp-url', 'http://ocsp.example');
  assert.equal(s.code, 0, s.stderr);
  sub = s.json;
  writeFileSync(file('sub.pem'), sub.certificatePem);
  writeFileSync(file('chain.pem'), sub.certificatePem + root.certificatePem);
});

after(() => rmSync(dir, { recursive: true, force: true }));

describe('CA creation', () => {
  test('create-root prints id, subject, serial, notAfter and certificatePem; openssl sees a CA', () => {
    for (const k of ['id', 'subject', 'serial', 'notAfter', 'certificatePem']) assert.ok(root[k], `missing ${k}`);
    assert.match(root.serial, /^[0-9a-f]{31,32}$/);
    const text = openssl(['x509', '-in', file('root.pem'), '-noout', '-text']).stdout;
    assert.match(text, /CA:TRUE/);
    assert.match(text, /Certificate Sign, CRL Sign/);
    assert.equal(openssl(['verify', '-CAfile', file('root.pem'), file('root.pem')]).code, 0);
  });

  test('the intermediate chains to the root and carries AKI = root SKI', () => {
    const v = openssl(['verify', '-CAfile', file('root.pem'), file('sub.pem')]);
    assert.equal(v.code, 0, v.stderr);
    const rootText = openssl(['x509', '-in', file('root.pem'), '-noout', '-ext', 'subjectKeyIdentifier']).stdout.split('\n')[1].trim();
    const subText = openssl(['x509', '-in', file('sub.pem'), '-noout', '-ext', 'authorityKeyIdentifier']).stdout;
    assert.ok(subText.includes(rootText), `${subText} should name ${rootText}`);
    assert.match(openssl(['x509', '-in', file('sub.pem'), '-noout', '-ext', 'basicConstraints']).stdout, /CA:TRUE, pathlen:0/);
  });

  test('software CA keys are stored encrypted with mode 0600', () => {
    const keys = readdirSync(join(home, 'keys')).filter((f) => f.endsWith('.key.pem'));
    assert.equal(keys.length, 2);
    for (const k of keys) {
      assert.match(readFileSync(join(home, 'keys', k), 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
      assert.equal(statSync(join(home, 'keys', k)).mode & 0o777, 0o600);
    }
  });

  test('ca list / show / export --chain', () => {
    const list = run('ca', 'list');
    assert.deepEqual(list.json.map((c: any) => c.id).sort(), [root.id, sub.id].sort());
    assert.equal(run('ca', 'show', sub.id).json.parentId, root.id);
    assert.equal(run('ca', 'export', sub.id, '--out', file('export.pem'), '--chain').code, 0);
    assert.equal(readFileSync(file('export.pem'), 'utf8').match(/BEGIN CERTIFICATE/g)!.length, 2);
  });
});

describe('issuance, revocation, CRL and OCSP', () => {
  before(() => {
    const a = opensslCsr(dir, 'web', '/CN=www.example.com/O=Example', 'DNS:www.example.com,DNS:example.com,IP:192.0.2.10');
    const i = run('issue', '--ca', sub.id, '--profile', 'tls-server', '--csr', a.csr, '--out', file('web.pem'), '--passphrase-env', 'CA_PASS');
    assert.equal(i.code, 0, i.stderr);
    leaf = i.json;
    const b = opensslCsr(dir, 'old', '/CN=old.example.com', 'DNS:old.example.com');
    const j = run('issue', '--ca', sub.id, '--profile', 'tls-server', '--csr', b.csr, '--out', file('old.pem'), '--passphrase-env', 'CA_PASS');
    assert.equal(j.code, 0, j.stderr);
    revoked = j.json;
    assert.equal(run('revoke', '--ca', sub.id, '--serial', revoked.serial.toUpperCase(), '--reason', 'keyCompromise').code, 0);
    assert.equal(run('crl', '--ca', sub.id, '--out', file('sub.crl'), '--passphrase-env', 'CA_PASS').code, 0);
    assert.equal(run('crl', '--ca', root.id, '--out', file('root.crl'), '--passphrase-env', 'CA_PASS').code, 0);
    writeFileSync(file('crls.pem'), readFileSync(file('sub.crl'), 'utf8') + readFileSync(file('root.crl'), 'utf8'));
  });

  test('issue prints serial, notAfter, certificatePem and openssl verifies it for TLS server use', () => {
    for (const k of ['serial', 'notAfter', 'certificatePem']) assert.ok(leaf[k], `missing ${k}`);
    const v = openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', file('sub.pem'), '-purpose', 'sslserver', '-verify_hostname', 'www.example.com', file('web.pem')]);
    assert.equal(v.code, 0, v.stderr + v.stdout);
    const text = openssl(['x509', '-in', file('web.pem'), '-noout', '-text']).stdout;
    assert.match(text, /CA:FALSE/);
    assert.match(text, /TLS Web Server Authentication/);
    assert.match(text, /DNS:www.example.com, DNS:example.com, IP Address:192.0.2.10/);
    assert.match(text, /URI:http:\/\/pki.example\/issuing.crl/);
    assert.match(text, /OCSP - URI:http:\/\/ocsp.example/);
    assert.doesNotMatch(text, /Key Encipherment/, 'an EC key never gets keyEncipherment');
  });

  test('openssl verify -crl_check_all accepts the good certificate and reports the revoked one', () => {
    const good = openssl(['verify', '-crl_check_all', '-CAfile', file('chain.pem'), '-CRLfile', file('crls.pem'), file('web.pem')]);
    assert.equal(good.code, 0, good.stderr + good.stdout);
    const bad = openssl(['verify', '-crl_check_all', '-CAfile', file('chain.pem'), '-CRLfile', file('crls.pem'), file('old.pem')]);
    assert.notEqual(bad.code, 0);
    assert.match(bad.stdout + bad.stderr, /certificate revoked/);
  });

  test('the CRL verifies with openssl, names the reason, and CRL numbers only grow', () => {
    const c = openssl(['crl', '-in', file('sub.crl'), '-CAfile', file('chain.pem'), '-noout', '-text']);
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stderr + c.stdout, /verify OK/);
    assert.match(c.stdout, /Key Compromise/);
    assert.match(c.stdout, new RegExp(revoked.serial.toUpperCase()));
    assert.match(c.stdout, /CRL Number: \n\s+1\b/);
    const second = run('crl', '--ca', sub.id, '--out', file('sub2.crl'), '--der', '--passphrase-env', 'CA_PASS');
    assert.equal(second.json.crlNumber, 2);
    const c2 = openssl(['crl', '-inform', 'DER', '-in', file('sub2.crl'), '-CAfile', file('chain.pem'), '-noout', '-crlnumber']);
    assert.match(c2.stdout, /crlNumber=0x02/);
  });

  test('pre-signed OCSP responses verify with openssl ocsp and give good / revoked', () => {
    const out = file('ocsp');
    const r = run('ocsp', 'presign', '--ca', sub.id, '--out', out, '--passphrase-env', 'CA_PASS');
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.good, 1);
    assert.equal(r.json.revoked, 1);
    const good = openssl(['ocsp', '-respin', join(out, `${leaf.serial}.der`), '-issuer', file('sub.pem'), '-CAfile', file('chain.pem'), '-no_nonce', '-cert', file('web.pem')]);
    assert.match(good.stderr + good.stdout, /Response verify OK/);
    assert.match(good.stdout, /web.pem: good/);
    const bad = openssl(['ocsp', '-respin', join(out, `${revoked.serial}.der`), '-issuer', file('sub.pem'), '-CAfile', file('chain.pem'), '-no_nonce', '-cert', file('old.pem')]);
    assert.match(bad.stderr + bad.stdout, /Response verify OK/);
    assert.match(bad.stdout, /old.pem: revoked/);
    assert.match(bad.stdout, /Reason: keyCompromise/);
  });

  test('a delegated OCSP responder signs responses that openssl accepts, without the CA key', () => {
    const r = run('ocsp', 'create-responder', '--ca', sub.id, '--software', '--passphrase-env', 'RESP_PASS', '--ca-passphrase-env', 'CA_PASS');
    assert.equal(r.code, 2, 'RESP_PASS is not set yet');
    const env2 = { ...env, RESP_PASS: 'responder key passphrase' };
    const created = coldroot(['--home', home, 'ocsp', 'create-responder', '--ca', sub.id, '--software', '--passphrase-env', 'RESP_PASS', '--ca-passphrase-env', 'CA_PASS', '--validity', '30d', '--json'], env2);
    assert.equal(created.code, 0, created.stderr);
    const resp = created.json;
    writeFileSync(file('responder.pem'), resp.certificatePem);
    assert.match(openssl(['x509', '-in', file('responder.pem'), '-noout', '-text']).stdout, /OCSP Signing[\s\S]*OCSP No Check/);
    const out = file('ocsp-delegated');
    const p = coldroot(['--home', home, 'ocsp', 'presign', '--ca', sub.id, '--responder', resp.id, '--out', out, '--passphrase-env', 'RESP_PASS', '--json'], env2);
    assert.equal(p.code, 0, p.stderr);
    assert.equal(p.json.signedBy, resp.id);
    const good = openssl(['ocsp', '-respin', join(out, `${leaf.serial}.der`), '-issuer', file('sub.pem'), '-CAfile', file('chain.pem'), '-no_nonce', '-cert', file('web.pem')]);
    assert.match(good.stderr + good.stdout, /Response verify OK/);
    assert.match(good.stdout, /web.pem: good/);
    assert.match(openssl(['ocsp', '-respin', join(out, `${leaf.serial}.der`), '-resp_text', '-noverify']).stdout, /Responder Id: [0-9A-F]{40}[\s\S]*Certificate:/);
    const list = run('ocsp', 'responders', '--ca', sub.id);
    assert.deepEqual(list.json.map((x: { id: string; status: string }) => [x.id, x.status]), [[resp.id, 'active']]);
  });

  test('coldroot verify agrees with openssl: good path OK, revoked leaf fails with REVOKED', () => {
    const ok = coldroot(['verify', '--trust', file('root.pem'), '--untrusted', file('sub.pem'), '--crl', file('sub.crl'), '--crl', file('root.crl'), '--purpose', 'serverAuth', '--host', 'www.example.com', file('web.pem'), '--json']);
    assert.equal(ok.code, 0, ok.stdout + ok.stderr);
    assert.equal(ok.json.chain.length, 3);
    const rev = coldroot(['verify', '--trust', file('root.pem'), '--untrusted', file('sub.pem'), '--crl', file('sub.crl'), file('old.pem'), '--json']);
    assert.equal(rev.code, 2);
    assert.equal(rev.json.code, 'REVOKED');
    const host = coldroot(['verify', '--trust', file('root.pem'), '--untrusted', file('sub.pem'), '--host', 'evil.example', file('web.pem'), '--json']);
    assert.equal(host.code, 2);
    assert.equal(host.json.code, 'HOSTNAME_MISMATCH');
  });
});

describe('bad input: a clear error, exit 2, database and audit exactly as before', () => {
  function rejected(args: string[], code: string, message: RegExp): void {
    const before = homeFingerprint(home);
    const r = run(...args);
    assert.equal(r.code, 2, `${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    assert.equal(r.json?.error?.code, code, r.stdout);
    assert.match(r.json.error.message, message);
    assert.ok(r.json.error.hint.length > 10, 'a hint names the fix');
    assert.equal(r.stderr.trim().split('\n').length, 1, 'one line on stderr');
    assert.equal(homeFingerprint(home), before, 'database unchanged');
  }

  test('malformed CSR', () => {
    writeFileSync(file('junk.csr'), '-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n');
    rejected(['issue', '--ca', sub.id, '--csr', file('junk.csr'), '--out', file('x1.pem'), '--passphrase-env', 'CA_PASS'], 'CSR_INVALID', /junk.csr is not a valid PKCS#10 request/);
  });

  test('wrongly signed CSR', () => {
    const { csr } = opensslCsr(dir, 'tampered', '/CN=t.example.com', 'DNS:t.example.com');
    const bytes = Buffer.from(readFileSync(csr, 'utf8').replace(/-----[A-Z ]+-----|\s/g, ''), 'base64');
    bytes[bytes.length - 5] ^= 0x01; // inside the signature
    writeFileSync(file('tampered.der'), bytes);
    rejected(['issue', '--ca', sub.id, '--csr', file('tampered.der'), '--out', file('x2.pem'), '--passphrase-env', 'CA_PASS'], 'CSR_SIGNATURE_INVALID', /does not verify with its own public key/);
  });

  test('CA:true requested on a leaf profile', () => {
    const { csr } = opensslCsr(dir, 'wantsca', '/CN=ca.example.com', 'DNS:ca.example.com', ['-addext', 'basicConstraints=critical,CA:TRUE']);
    rejected(['issue', '--ca', sub.id, '--profile', 'tls-server', '--csr', csr, '--out', file('x3.pem'), '--passphrase-env', 'CA_PASS'], 'CA_NOT_ALLOWED', /asks for CA:TRUE/);
  });

  test('unknown profile', () => {
    const { csr } = opensslCsr(dir, 'p', '/CN=p.example.com', 'DNS:p.example.com');
    rejected(['issue', '--ca', sub.id, '--profile', 'no-such-profile', '--csr', csr, '--out', file('x4.pem'), '--passphrase-env', 'CA_PASS'], 'UNKNOWN_PROFILE', /Unknown certificate profile 'no-such-profile'/);
  });

  test('wrong passphrase', () => {
    const { csr } = opensslCsr(dir, 'w', '/CN=w.example.com', 'DNS:w.example.com');
    const before = homeFingerprint(home);
    const r = coldroot(['--home', home, 'issue', '--ca', sub.id, '--csr', csr, '--out', file('x5.pem'), '--passphrase-env', 'WRONG', '--json'], { WRONG: 'not the passphrase at all' });
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'PASSPHRASE_INCORRECT');
    assert.equal(homeFingerprint(home), before);
  });

  test('duplicate CA name', () => {
    rejected(['ca', 'create-root', '--name', 'CN=Test Root CA,O=Coldroot Tests,C=US', '--software', '--passphrase-env', 'CA_PASS'], 'DUPLICATE_CA_NAME', /already exists/);
  });

  test('unknown serial', () => {
    rejected(['revoke', '--ca', sub.id, '--serial', 'deadbeef', '--reason', 'superseded'], 'UNKNOWN_SERIAL', /no certificate with serial deadbeef/);
  });

  test('unknown revocation reason and unknown CA', () => {
    rejected(['revoke', '--ca', sub.id, '--serial', leaf.serial, '--reason', 'bored'], 'UNKNOWN_REVOCATION_REASON', /'bored'/);
    rejected(['crl', '--ca', 'nope', '--out', file('x.crl'), '--passphrase-env', 'CA_PASS'], 'CA_NOT_FOUND', /No CA with id 'nope'/);
  });

  test('secrets never come from argv: a missing environment variable is named', () => {
    rejected(['ca', 'create-root', '--name', 'CN=Other Root', '--software', '--passphrase-env', 'UNSET_VAR_X'], 'SECRET_ENV_MISSING', /UNSET_VAR_X/);
  });

  test('revoked parent cannot issue', () => {
    const mid = run('ca', 'create-intermediate', '--parent', root.id, '--name', 'CN=Doomed CA', '--software', '--passphrase-env', 'CA_PASS');
    assert.equal(mid.code, 0, mid.stderr);
    assert.equal(run('revoke', '--ca', root.id, '--serial', mid.json.serial, '--reason', 'cACompromise').code, 0);
    const { csr } = opensslCsr(dir, 'd', '/CN=d.example.com', 'DNS:d.example.com');
    rejected(['issue', '--ca', mid.json.id, '--csr', csr, '--out', file('x6.pem'), '--passphrase-env', 'CA_PASS'], 'CA_REVOKED', /was revoked by its parent/);
  });

  test('a home that another process holds', async () => {
    const before = homeFingerprint(home);
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `
      const { openStore } = await import(${JSON.stringify(join(REPO_ROOT, 'core/store/database.ts'))});
      openStore(${JSON.stringify(home)}); console.log('held'); setTimeout(() => {}, 60000);`], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve, reject) => {
        holder.stdout.on('data', (d) => String(d).includes('held') && resolve());
        holder.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
      });
      const r = run('revoke', '--ca', sub.id, '--serial', leaf.serial);
      assert.equal(r.code, 2);
      assert.equal(r.json.error.code, 'HOME_LOCKED');
      assert.match(r.json.error.message, new RegExp(String(holder.pid)));
    } finally {
      holder.kill('SIGKILL');
      await new Promise((resolve) => holder.once('exit', resolve));
    }
    assert.equal(homeFingerprint(home), before);
  });
});

describe('audit trail', () => {
  test('verify passes and the export verifies standalone; exports never overwrite', () => {
    const v = run('audit', 'verify');
    assert.equal(v.code, 0, v.stdout);
    assert.equal(v.json.ok, true);
    assert.ok(v.json.entries >= 8);
    assert.equal(run('audit', 'export', '--out', file('audit.jsonl')).code, 0);
    assert.equal(coldroot(['audit', 'verify', '--file', file('audit.jsonl'), '--json']).json.ok, true);
    const pinned = coldroot(['audit', 'verify', '--file', file('audit.jsonl'), '--key-fingerprint', v.json.keyFingerprint, '--json']);
    assert.equal(pinned.code, 0, pinned.stdout);
    const forged = coldroot(['audit', 'verify', '--file', file('audit.jsonl'), '--key-fingerprint', 'ab'.repeat(32), '--json']);
    assert.equal(forged.code, 1);
    assert.equal(forged.json.ok, false);
    assert.equal(run('audit', 'export', '--out', file('audit.jsonl')).json.error.code, 'OUTPUT_EXISTS');
  });
});
