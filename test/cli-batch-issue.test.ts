// `coldroot issue --csr-dir --out-dir`: a batch above the thread threshold, with refused requests
// reported by name, one transaction and one audit entry; certificates checked with openssl.
import assert from 'node:assert/strict';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { toPem } from '../core/x509/asn1.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { coldroot } from './helpers/cli.js';
import { openssl, opensslCsr } from './helpers/openssl.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-batch-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { CA_PASS: 'batch test passphrase' };
const home = join(dir, 'home');

test('a folder of 700 requests is issued in one batch; refused ones are named and exit is 2', async () => {
  assert.equal(coldroot(['init', '--home', home]).code, 0);
  const root = coldroot(['--home', home, 'ca', 'create-root', '--name', 'CN=Batch Root', '--software', '--passphrase-env', 'CA_PASS', '--json'], env).json;
  writeFileSync(join(dir, 'root.pem'), root.certificatePem);
  const csrDir = join(dir, 'csrs');
  mkdirSync(csrDir);
  for (let i = 0; i < 700; i++) {
    const s = new SoftwareSigner(generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey, 'ecdsa-p256', 'software:d');
    writeFileSync(join(csrDir, `device-${String(i).padStart(4, '0')}.csr`), toPem(await buildCsr(s, `CN=device-${i}`, { dns: [`device-${i}.fleet.example`] }), 'CERTIFICATE REQUEST'));
  }
  writeFileSync(join(csrDir, 'zz-junk.csr'), 'not a request');
  const wantsCa = opensslCsr(dir, 'ca', '/CN=sneaky', undefined, ['-addext', 'basicConstraints=critical,CA:TRUE']);
  writeFileSync(join(csrDir, 'zz-wants-ca.csr'), readFileSync(wantsCa.csr));

  const out = join(dir, 'out');
  const r = coldroot(['--home', home, 'issue', '--ca', root.id, '--profile', 'device-management', '--csr-dir', csrDir, '--out-dir', out, '--passphrase-env', 'CA_PASS', '--json'], env);
  assert.equal(r.code, 2, r.stderr);
  assert.equal(r.json.issued, 700);
  assert.deepEqual(r.json.rejected.map((x: { source: string; code: string }) => [x.source, x.code]), [['zz-junk.csr', 'CSR_INVALID'], ['zz-wants-ca.csr', 'CA_NOT_ALLOWED']]);
  const files = readdirSync(out).sort();
  assert.equal(files.length, 700);
  assert.equal(files[0], 'device-0000.pem');
  const sample = ['device-0000.pem', 'device-0350.pem', 'device-0699.pem'].map((f) => join(out, f));
  const v = openssl(['verify', '-CAfile', join(dir, 'root.pem'), '-purpose', 'sslclient', ...sample]);
  assert.equal(v.code, 0, v.stdout + v.stderr);
  assert.match(openssl(['x509', '-in', join(out, 'device-0350.pem'), '-noout', '-subject', '-ext', 'subjectAltName']).stdout, /CN = device-350[\s\S]*DNS:device-350.fleet.example/);

  const db = new Database(join(home, 'coldroot.db'), { readonly: true });
  try {
    assert.equal((db.prepare("SELECT count(*) AS n FROM certificates WHERE profile = 'device-management'").get() as { n: number }).n, 700);
    const entries = db.prepare("SELECT details FROM audit_entries WHERE action = 'cert.issue-batch'").all() as { details: string }[];
    assert.equal(entries.length, 1);
    assert.equal(JSON.parse(entries[0].details).issued, 700);
  } finally {
    db.close();
  }
  assert.equal(coldroot(['--home', home, 'issue', '--ca', root.id, '--csr-dir', csrDir, '--out-dir', out, '--passphrase-env', 'CA_PASS', '--json'], env).json.error.code, 'OUTPUT_EXISTS');
});
