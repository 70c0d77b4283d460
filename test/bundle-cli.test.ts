// `coldroot bundle …` end to end: import, re-import, quarantine, inspect, the signing identity and
// renewal export; exit codes and JSON errors; every signature also checked with openssl.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { renewalRequestFile } from '../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { derivedKey } from '../core/bundles/simulation/fleet-simulator.js';
import { makeBundleTestKit, TEST_PASSPHRASE, writeMetricsBundle, writeTestBundle, type BundleTestKit, type TestDevice } from '../core/bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { databaseFingerprint } from '../core/store/database.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import { coldroot, homeFingerprint, REPO_ROOT } from './helpers/cli.js';
import { openssl } from './helpers/openssl.js';

let kit: BundleTestKit;
let home: string;
let device: TestDevice;
let requestBundleId: string;
const env = { CA_PASS: TEST_PASSPHRASE, SIGNER_PASS: 'bundle signer passphrase' };
const file = (name: string) => join(kit.dir, name);
const run = (...args: string[]) => coldroot(['--home', home, ...args, '--json'], env);

/** The database fingerprint with the audit trail left out: what a rejection may not change. */
function fingerprintWithoutAudit(): string {
  const src = new Database(join(home, 'coldroot.db'), { readonly: true });
  const image = src.serialize();
  src.close();
  image[18] = image[19] = 1; // a WAL database, opened in memory as a rollback-journal one
  const copy = new Database(image);
  try {
    copy.exec('DROP TABLE audit_entries; DROP TABLE audit_head;');
    return databaseFingerprint(copy);
  } finally {
    copy.close();
  }
}

function untar(bundle: string, into: string): void {
  mkdirSync(into, { recursive: true });
  const r = spawnSync('tar', ['xf', bundle, '-C', into], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

before(async () => {
  kit = await makeBundleTestKit('coldroot-bundle-cli-', new Date(Date.now() - 86_400_000));
  home = join(kit.dir, 'home');
  device = await kit.device('web-0007.fleet.example');
  writeFileSync(file('root.pem'), kit.root.certificatePem!);
  writeFileSync(file('device-ca.pem'), kit.deviceCa.certificatePem!);
  await writeMetricsBundle(file('m1.tar'), device, { sequence: 1, rows: 30 });
  await writeMetricsBundle(file('m2.tar'), device, { sequence: 2, rows: 30, format: 'ndjson' });
  await writeMetricsBundle(file('m3.tar'), device, { sequence: 3, rows: 10 });
  const bad = readFileSync(file('m1.tar'));
  bad[bad.length - 1024 - 600] ^= 0x10; // inside the payload
  writeFileSync(file('bad.tar'), bad);
  // The agent's renewal requests (each proven by its current key, which the console checks at import): its own identity, a TLS certificate and one for an unknown profile.
  const newDeviceKey = new SoftwareSigner(derivedKey(11, 'device-next'), 'ecdsa-p256', 'software:next');
  const tlsKey = new SoftwareSigner(derivedKey(11, 'tls-next'), 'ecdsa-p256', 'software:tls');
  const payload = await renewalRequestFile([
    { requestId: 'device-identity', host: device.name, profile: 'device-management', reason: 'expiring', csr: await buildCsr(newDeviceKey, `CN=${device.name}`), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } },
    { requestId: 'tls', host: device.name, profile: 'tls-server', reason: 'risk', detail: 'handshake failures rising', csr: await buildCsr(tlsKey, `CN=${device.name}`, { dns: [device.name] }), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } },
    { requestId: 'odd', host: device.name, profile: 'no-such-profile', reason: 'manual', csr: await buildCsr(tlsKey, `CN=${device.name}`), proof: { kind: 'current-certificate', certificate: device.certificate, key: device.signer } },
  ]);
  requestBundleId = (await writeTestBundle(file('requests.tar'), device, 'renewal-request', 4, [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 3, json: payload }])).bundleId;
  kit.svc.close(); // the CLI takes the home's lock from here on
});
after(() => kit.close());

describe('bundle import', () => {
  test('accepts good bundles (exit 0) and says so for each', () => {
    const r = run('bundle', 'import', file('m1.tar'), file('m2.tar'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    assert.deepEqual(r.json.results.map((x: any) => [x.status, x.type, x.records, x.sequence]), [['accepted', 'metrics', 30, 1], ['accepted', 'metrics', 30, 2]]);
    assert.equal(r.json.error, undefined);
  });

  test('a re-import is a no-op that says so (exit 0, database unchanged)', () => {
    const before = homeFingerprint(home);
    const r = run('bundle', 'import', file('m1.tar'));
    assert.equal(r.code, 0);
    assert.equal(r.json.results[0].status, 'already-imported');
    assert.equal(homeFingerprint(home), before);
    const text = coldroot(['--home', home, 'bundle', 'import', file('m1.tar')], env);
    assert.match(text.stdout, /already imported .*nothing changed/);
  });

  test('a tampered bundle: exit 2 naming the check, nothing stored, copied to quarantine with its reason and an audit entry', () => {
    const before = fingerprintWithoutAudit();
    const audits = homeAuditCount();
    const r = run('bundle', 'import', file('bad.tar'));
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'BUNDLE_HASH_MISMATCH');
    assert.equal(r.json.error.check, 'integrity');
    assert.match(r.stderr, /metrics\.csv\.gz does not match its SHA-256/);
    assert.equal(fingerprintWithoutAudit(), before);
    const q = join(home, 'quarantine');
    const copies = readdirSync(q).filter((f) => f.endsWith('.bundle'));
    assert.equal(copies.length, 1);
    assert.deepEqual(readFileSync(join(q, copies[0])), readFileSync(file('bad.tar')));
    const reason = JSON.parse(readFileSync(join(q, copies[0].replace(/\.bundle$/, '.reason.json')), 'utf8'));
    assert.equal(reason.code, 'BUNDLE_HASH_MISMATCH');
    assert.equal(reason.check, 'integrity');
    assert.equal(reason.file, file('bad.tar'));
    assert.equal(homeAuditCount(), audits + 1);
    const db = new Database(join(home, 'coldroot.db'), { readonly: true });
    const entry = db.prepare("SELECT outcome, details FROM audit_entries WHERE action = 'bundle.reject' ORDER BY seq DESC LIMIT 1").get() as { outcome: string; details: string };
    db.close();
    assert.equal(entry.outcome, 'BUNDLE_HASH_MISMATCH');
    assert.equal(JSON.parse(entry.details).sha256, reason.sha256);
    assert.equal(run('audit', 'verify').code, 0);
  });

  test('--no-quarantine leaves the database exactly as it was', () => {
    const before = homeFingerprint(home);
    const r = run('bundle', 'import', '--no-quarantine', file('bad.tar'));
    assert.equal(r.code, 2);
    assert.equal(r.json.results[0].quarantine, null);
    assert.equal(homeFingerprint(home), before);
  });

  test('several files: the good ones go in, exit 2 names the bad one', () => {
    const r = run('bundle', 'import', '--no-quarantine', file('m3.tar'), file('bad.tar'), file('missing.tar'));
    assert.equal(r.code, 2);
    assert.deepEqual(r.json.results.map((x: any) => x.status), ['accepted', 'rejected', 'rejected']);
    assert.equal(r.json.results[2].code, 'FILE_NOT_FOUND');
    assert.equal(r.json.error.code, 'BUNDLE_HASH_MISMATCH');
  });

  test('limits from the command line; bad values are usage errors', () => {
    const before = homeFingerprint(home);
    const r = run('bundle', 'import', '--no-quarantine', '--max-bundle-size', '1000', file('m2.tar'));
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'BUNDLE_TOO_LARGE');
    const bad = run('bundle', 'import', '--max-bundle-size', '0', file('m2.tar'));
    assert.equal(bad.code, 2);
    assert.equal(bad.json.error.code, 'BAD_BUNDLE_LIMIT');
    assert.equal(run('bundle', 'import').code, 2);
    assert.equal(homeFingerprint(home), before);
  });

  test('one import shows its progress on a terminal, and none with --json', async (t) => {
    if (spawnSync('script', ['--version']).status !== 0) {
      t.skip('util-linux script(1) is not installed: it gives the CLI a pseudo-terminal');
      return;
    }
    await writeMetricsBundle(file('progress.tar'), device, { sequence: 90, rows: 3000 });
    const kib = Math.round(statSync(file('progress.tar')).size / 1024);
    const command = [process.execPath, join(REPO_ROOT, 'bin', 'coldroot.js'), '--home', home, 'bundle', 'import', file('progress.tar')].map((a) => `'${a}'`).join(' ');
    const r = spawnSync('script', ['-qec', command, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' }, timeout: 120_000 });
    assert.equal(r.status, 0, r.stdout + r.stderr);
    assert.match(r.stdout, new RegExp(`\\rimporting 1 bundle \\(KiB\\) \\[#{30}\\] ${kib}/${kib} \\d+/s`));
    assert.match(r.stdout, /accepted .*progress\.tar: metrics bundle .* 3000 records/);
    const quiet = spawnSync('script', ['-qec', `${command} --json`, '/dev/null'], { encoding: 'utf8', env: { ...process.env, ...env, NODE_NO_WARNINGS: '1' }, timeout: 120_000 });
    assert.equal(quiet.status, 0, quiet.stdout);
    assert.doesNotMatch(quiet.stdout, /importing/);
  });
});

describe('bundle inspect', () => {
  test('reports a known bundle with every check, changing nothing (read-only)', () => {
    const before = homeFingerprint(home);
    const r = run('bundle', 'inspect', file('m2.tar'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.json.verdict, 'known');
    assert.equal(r.json.type, 'metrics');
    assert.equal(r.json.sequence, 2);
    assert.equal(r.json.producer.subject, `CN=${device.name}`);
    assert.deepEqual(r.json.files.map((f: any) => f.name), ['metrics.ndjson.gz']);
    assert.equal(r.json.checks.find((c: any) => c.check === 'integrity').status, 'passed');
    assert.equal(homeFingerprint(home), before);
    const text = coldroot(['--home', home, 'bundle', 'inspect', file('m2.tar')], env).stdout;
    assert.match(text, /KNOWN/);
    assert.match(text, /passed\s+signature/);
  });

  test('a new bundle is valid and shows its path; a tampered one fails (exit 2) with the failed check marked', () => {
    const fresh = run('bundle', 'inspect', file('requests.tar'));
    assert.equal(fresh.code, 0, fresh.stdout);
    assert.equal(fresh.json.verdict, 'valid');
    assert.deepEqual(fresh.json.producer.chain, [`CN=${device.name}`, 'CN=Bundle Test Device CA, O=Coldroot Tests']);
    const r = run('bundle', 'inspect', file('bad.tar'));
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'BUNDLE_HASH_MISMATCH');
    assert.deepEqual(r.json.checks.filter((c: any) => c.status === 'failed').map((c: any) => c.check), ['integrity']);
  });
});

describe('standard tools', () => {
  test('tar lists a bundle and openssl cms -verify checks its manifest against the root', () => {
    const list = spawnSync('tar', ['tf', file('m2.tar')], { encoding: 'utf8' });
    assert.deepEqual(list.stdout.trim().split('\n'), ['manifest.json', 'manifest.p7s', 'metrics.ndjson.gz']);
    const dir = file('m2');
    untar(file('m2.tar'), dir);
    const ok = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', join(dir, 'manifest.json'), '-CAfile', file('root.pem'), '-out', '/dev/null']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stderr, /Verification successful/);
    writeFileSync(join(dir, 'manifest.json'), readFileSync(join(dir, 'manifest.json'), 'utf8').replace('"sequence": 2', '"sequence": 3'));
    const tampered = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', join(dir, 'manifest.json'), '-CAfile', file('root.pem'), '-out', '/dev/null']);
    assert.notEqual(tampered.code, 0);
    const sha = spawnSync('sha256sum', [join(dir, 'metrics.ndjson.gz')], { encoding: 'utf8' }).stdout.split(' ')[0];
    assert.equal(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')).files[0].sha256, sha);
  });
});

describe('renewal', () => {
  let signer: any;
  let renewal: any;

  before(() => {
    signer = run('bundle', 'signer', 'create', '--ca', kit.deviceCa.id, '--software', '--passphrase-env', 'SIGNER_PASS', '--ca-passphrase-env', 'CA_PASS');
    assert.equal(signer.code, 0, signer.stdout + signer.stderr);
    for (const ca of [kit.deviceCa.id, kit.root.id]) assert.equal(run('crl', '--ca', ca, '--out', file(`${ca}.crl`), '--passphrase-env', 'CA_PASS').code, 0);
    const imported = run('bundle', 'import', file('requests.tar'));
    assert.equal(imported.code, 0, imported.stdout);
  });

  test('the signer is certified for bundle signing (emailProtection) by a CA of the home', () => {
    assert.equal(signer.json.caId, kit.deviceCa.id);
    writeFileSync(file('signer.pem'), signer.json.certificatePem);
    const text = openssl(['x509', '-in', file('signer.pem'), '-noout', '-text']).stdout;
    assert.match(text, /E-mail Protection/);
    assert.equal(run('bundle', 'signer', 'show').json.serial, signer.json.serial);
  });

  test('pending requests are listed', () => {
    const r = run('bundle', 'requests', '--status', 'pending');
    assert.deepEqual(r.json.map((x: any) => [x.requestId, x.proofKind]), [['device-identity', 'current-certificate'], ['tls', 'current-certificate'], ['odd', 'current-certificate']]);
  });

  test('export answers them: certificates, chain, CRLs, OCSP, rollout plan; signed; exit 0', () => {
    writeFileSync(file('plan.json'), JSON.stringify({ strategy: 'canary', waves: [{ name: 'first', hosts: [device.name], minHealthyPercent: 100 }] }));
    const before = homeFingerprint(home);
    const exists = run('bundle', 'export', 'renewal', '--out', file('m1.tar'), '--ca', kit.deviceCa.id, '--passphrase-env', 'CA_PASS', '--signer-passphrase-env', 'SIGNER_PASS');
    assert.equal(exists.code, 2);
    assert.equal(exists.json.error.code, 'OUTPUT_EXISTS');
    assert.equal(homeFingerprint(home), before, 'nothing was issued for a bundle that could not be written');
    const r = run('bundle', 'export', 'renewal', '--out', file('renewal.tar'), '--ca', kit.deviceCa.id, '--passphrase-env', 'CA_PASS', '--signer-passphrase-env', 'SIGNER_PASS', '--rollout-file', file('plan.json'));
    assert.equal(r.code, 0, r.stdout + r.stderr);
    renewal = r.json;
    assert.equal(renewal.inReplyTo, requestBundleId);
    assert.deepEqual(renewal.issued.map((x: any) => x.requestId).sort(), ['device-identity', 'tls']);
    assert.deepEqual(renewal.rejected.map((x: any) => [x.requestId, x.code]), [['odd', 'UNKNOWN_PROFILE']]);
    assert.deepEqual(renewal.crls.sort(), [`crls/${kit.deviceCa.id}.crl`, `crls/${kit.root.id}.crl`].sort());
    assert.deepEqual(renewal.warnings, []);
  });

  test('openssl verifies the manifest signature, the certificates, the OCSP responses and the CRLs', () => {
    const dir = file('renewal');
    untar(file('renewal.tar'), dir);
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    assert.equal(manifest.type, 'renewal');
    assert.equal(manifest.inReplyTo, requestBundleId);
    assert.equal(manifest.producer.serial, signer.json.serial);
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', join(dir, 'manifest.json'), '-CAfile', file('root.pem'), '-out', '/dev/null']);
    assert.equal(cms.code, 0, cms.stderr);
    const index = JSON.parse(readFileSync(join(dir, 'renewal.json'), 'utf8'));
    assert.equal(index.rollout, 'rollout.json');
    for (const i of index.issued) {
      const v = openssl(['verify', '-CAfile', file('root.pem'), '-untrusted', join(dir, 'chain.pem'), join(dir, i.certificate)]);
      assert.equal(v.code, 0, v.stdout + v.stderr);
      const o = openssl(['ocsp', '-respin', join(dir, i.ocsp), '-issuer', file('device-ca.pem'), '-cert', join(dir, i.certificate), '-CAfile', join(dir, 'chain.pem'), '-no_nonce']);
      assert.equal(o.code, 0, o.stdout + o.stderr);
      assert.match(o.stdout, /: good/);
      assert.match(o.stderr + o.stdout, /Response verify OK/);
    }
    const tlsText = openssl(['x509', '-in', join(dir, 'certs/tls.pem'), '-noout', '-ext', 'subjectAltName,extendedKeyUsage']).stdout;
    assert.ok(tlsText.includes(`DNS:${device.name}`) && tlsText.includes('TLS Web Server Authentication'), tlsText);
    for (const crl of index.crls) {
      const c = openssl(['crl', '-inform', 'DER', '-in', join(dir, crl), '-CAfile', join(dir, 'chain.pem'), '-noout']);
      assert.equal(c.code, 0, c.stderr);
    }
  });

  test('the requests are answered; the console knows the bundle it exported but will not import it', () => {
    assert.deepEqual(run('bundle', 'requests', '--status', 'pending').json, []);
    assert.deepEqual(run('bundle', 'requests').json.map((x: any) => [x.requestId, x.status]), [['device-identity', 'issued'], ['tls', 'issued'], ['odd', 'rejected']]);
    const inspect = run('bundle', 'inspect', file('renewal.tar'));
    assert.equal(inspect.code, 0, inspect.stdout);
    assert.equal(inspect.json.verdict, 'known');
    assert.equal(inspect.json.known.direction, 'export');
    assert.equal(inspect.json.importable, false);
    const before = fingerprintWithoutAudit();
    const imp = run('bundle', 'import', file('renewal.tar'));
    assert.equal(imp.code, 2);
    assert.equal(imp.json.error.code, 'BUNDLE_TYPE_NOT_IMPORTABLE');
    assert.equal(fingerprintWithoutAudit(), before);
    const list = run('bundle', 'list', '--direction', 'export');
    assert.deepEqual(list.json.map((b: any) => [b.type, b.bundleId, b.inReplyTo]), [['renewal', renewal.bundleId, requestBundleId]]);
  });

  test('nothing left to answer: exit 2, nothing changed', () => {
    const before = homeFingerprint(home);
    const r = run('bundle', 'export', 'renewal', '--out', file('again.tar'), '--ca', kit.deviceCa.id, '--passphrase-env', 'CA_PASS', '--signer-passphrase-env', 'SIGNER_PASS');
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'NO_PENDING_RENEWALS');
    assert.equal(existsSync(file('again.tar')), false);
    assert.equal(homeFingerprint(home), before);
  });
});

function homeAuditCount(): number {
  const db = new Database(join(home, 'coldroot.db'), { readonly: true });
  try {
    return (db.prepare('SELECT count(*) AS n FROM audit_entries').get() as { n: number }).n;
  } finally {
    db.close();
  }
}
