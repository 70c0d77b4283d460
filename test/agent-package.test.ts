import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { createPublicKey, X509Certificate } from 'node:crypto';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { userInfo, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseAgentConfig } from '../agent-bundle/src/agent/config/agent-config.js';
import { generateAgentPackages, type GenerateAgentPackagesResult } from '../core/agents/agent-package.js';
import { resolveLimits } from '../core/bundles/bundle-format.js';
import { readBundle } from '../core/bundles/bundle-reader.js';
import { createBundleSigner } from '../core/bundles/console-signer.js';
import { makeBundleTestKit, TEST_PASSPHRASE, type BundleTestKit } from '../core/bundles/testing/bundle-test-kit.js';
import { databaseFingerprint } from '../core/store/database.js';
import { openssl } from './helpers/openssl.js';

const SECRET = { passphrase: TEST_PASSPHRASE };
const FILES = ['manifest.json', 'manifest.p7s', 'agent/coldroot-agent.mjs', 'config.json', 'trust/anchors.pem', 'bootstrap/cert.pem', 'bootstrap/key.pem', 'coldroot-agent.service', 'install.sh'];

describe('coldroot agent package', () => {
  let kit: BundleTestKit;
  let work: string;
  let result: GenerateAgentPackagesResult;
  // install.sh runs unprivileged; when the tests run as root, as nobody (setpriv), on copies it can read.
  const asRoot = process.getuid?.() === 0;
  const me = asRoot ? 'nobody' : userInfo().username;
  const prefixOf = (name: string) => join(work, 'prefixes', name);

  const extract = (bundle: string, name: string) => {
    const dir = join(work, name);
    mkdirSync(dir);
    execFileSync('tar', ['-xf', bundle, '-C', dir]);
    return dir;
  };
  /** Runs install.sh unprivileged into `prefix`: from a package file (with the copy taken out of it) or from an extracted folder (its own copy). */
  const install = (pkg: string, prefix: string, roots: string[], env: NodeJS.ProcessEnv = {}) => {
    const args = statSync(pkg).isFile() ? [join(work, 'install-from-file.sh'), pkg] : [join(pkg, 'install.sh')];
    return unprivileged([...args, '--prefix', prefix, '--user', me, '--no-systemd', ...roots.flatMap((r) => ['--root-sha256', r])], env);
  };
  const unprivileged = (args: string[], env: NodeJS.ProcessEnv = {}) => {
    const cmd = asRoot ? ['setpriv', '--reuid=65534', '--regid=65534', '--clear-groups', 'sh', ...args] : ['sh', ...args];
    return spawnSync(cmd[0], cmd.slice(1), { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  };
  /** FILES, plus the single executable where this machine could build one (postject on PATH). */
  const packageFiles = () => (result.agent.sea.status === 'built' ? [...FILES.slice(0, 3), 'agent/coldroot-agent', ...FILES.slice(3)] : FILES);
  const tree = (dir: string): string[] => (existsSync(dir) ? readdirSync(dir, { recursive: true }).map(String).sort() : []);

  before(async () => {
    // install.sh checks the signature with openssl at the real time, so this console's clock is now.
    kit = await makeBundleTestKit('coldroot-agent-package-', new Date(Math.floor(Date.now() / 1000) * 1000));
    work = mkdtempSync(join(tmpdir(), 'coldroot-agent-package-work-'));
    await createBundleSigner(kit.svc.ctx, { caId: kit.deviceCa.id, caSecret: SECRET, key: { kind: 'software', passphrase: TEST_PASSPHRASE } });
    result = await generateAgentPackages(kit.svc.ctx, {
      caId: kit.deviceCa.id, caSecret: SECRET, signerSecret: SECRET, out: join(work, 'packages'),
      devices: [{ host: 'web-01.fleet.example' }, { host: 'db-01.fleet.example', dns: ['db.fleet.example'] }],
      config: { renewal: { thresholdDays: 21 }, retry: { initialDelaySeconds: 30, maxAttempts: 5 }, transport: { kind: 'file', outbox: '/media/usb/coldroot/outbox', inbox: '/media/usb/coldroot/inbox' } },
    });
    // The installer as a host administrator runs it from a package file: taken out of the archive first.
    execFileSync('tar', ['-xf', result.packages[0].path, '-C', work, 'install.sh']);
    copyFileSync(join(work, 'install.sh'), join(work, 'install-from-file.sh'));
    rmSync(join(work, 'install.sh'));
    extract(result.packages[0].path, 'web');
    extract(result.packages[1].path, 'db');
    // What the unprivileged installer may read (a copy of a package file) and write (its prefixes).
    chmodSync(work, 0o755);
    copyFileSync(result.packages[0].path, join(work, 'web.agent-package'));
    chmodSync(join(work, 'web.agent-package'), 0o644);
    mkdirSync(join(work, 'prefixes'));
    chmodSync(join(work, 'prefixes'), 0o777);
  });
  after(() => {
    kit?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  test('two devices in one call: two signed bundles, 0600, listing the package files', () => {
    assert.deepEqual(result.packages.map((p) => [p.host, p.path]), [['web-01.fleet.example', join(work, 'packages', 'web-01.fleet.example.agent-package')], ['db-01.fleet.example', join(work, 'packages', 'db-01.fleet.example.agent-package')]]);
    for (const p of result.packages) {
      assert.equal(statSync(p.path).mode & 0o777, 0o600);
      assert.deepEqual(execFileSync('tar', ['tf', p.path], { encoding: 'utf8' }).trim().split('\n'), packageFiles());
    }
    assert.deepEqual(result.anchors.map((a) => a.caId), [kit.root.id]);
    // The single executable needs postject on PATH (not a dependency of this repository); without it, that is the reason given.
    if (result.agent.sea.status === 'skipped') assert.match(result.agent.sea.reason, /^postject is not installed/);
    else assert.equal(result.agent.sea.path, 'agent/coldroot-agent');
    const rows = kit.svc.store.db.prepare("SELECT type, direction, sequence, file_sha256 AS sha FROM bundles WHERE type = 'agent-package' ORDER BY sequence").all();
    assert.deepEqual(rows, result.packages.map((p, i) => ({ type: 'agent-package', direction: 'export', sequence: i + 1, sha: p.sha256 })));
    const audit = kit.svc.store.audit.list({ limit: 1000 }).filter((e) => e.action === 'agent.package');
    assert.equal(audit.length, 1);
    console.log(`agent bundle ${result.agent.size} bytes, built in ${result.agent.buildMs} ms (${result.agent.inputs} sources); packages ${result.packages.map((p) => p.size).join(', ')} bytes`);
  });

  test('openssl verifies the signature, the bootstrap certificate chains and is in the inventory, the key matches', async () => {
    const dir = join(work, 'db');
    const cms = openssl(['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(dir, 'manifest.p7s'), '-content', join(dir, 'manifest.json'), '-CAfile', join(dir, 'trust/anchors.pem'), '-purpose', 'any', '-out', '/dev/null']);
    assert.equal(cms.code, 0, cms.stderr);
    const chain = join(work, 'device-ca.pem');
    writeFileSync(chain, kit.deviceCa.certificatePem!);
    const v = openssl(['verify', '-CAfile', join(dir, 'trust/anchors.pem'), '-untrusted', chain, '-purpose', 'sslclient', join(dir, 'bootstrap/cert.pem')]);
    assert.equal(v.code, 0, v.stderr);
    const cert = new X509Certificate(readFileSync(join(dir, 'bootstrap/cert.pem')));
    assert.equal(cert.subject, 'CN=db-01.fleet.example');
    assert.equal(cert.subjectAltName, 'DNS:db-01.fleet.example, DNS:db.fleet.example');
    assert.equal(cert.publicKey.export({ type: 'spki', format: 'der' }).toString('hex'), createPublicKey(readFileSync(join(dir, 'bootstrap/key.pem'))).export({ type: 'spki', format: 'der' }).toString('hex'));
    const row = kit.svc.store.db.prepare('SELECT profile, status, fingerprint_sha256 AS fp FROM certificates WHERE ca_id = ? AND serial = ?').get(kit.deviceCa.id, result.packages[1].bootstrap.serial);
    assert.deepEqual(row, { profile: 'device-bootstrap', status: 'good', fp: result.packages[1].bootstrap.fingerprintSha256 });
    assert.equal(Date.parse(result.packages[1].bootstrap.notAfter) - Date.parse(result.packages[1].bootstrap.notBefore), 1095 * 86_400_000 - 1000);
    assert.equal(result.anchors[0].sha256, createHashOfPem(readFileSync(join(dir, 'trust/anchors.pem'), 'utf8')));
    // The reader takes the bundle apart as it would any other: hashes checked, config.json parsed.
    const read = await readBundle(result.packages[1].path, { limits: resolveLimits(), admit: () => 'process', sink: {} });
    assert.deepEqual(read.files.map((f) => f.name), packageFiles().slice(2));
  });

  test('config.json passes the agent\'s own schema; the unit runs it unprivileged with the transport folders writable', () => {
    const dir = join(work, 'db');
    const config = parseAgentConfig(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')), 'config.json');
    assert.equal(config.host, 'db-01.fleet.example');
    assert.equal(config.stateDir, '/var/lib/coldroot-agent');
    assert.equal(config.renewal.thresholdDays, 21);
    assert.deepEqual([config.retry.initialDelaySeconds, config.retry.maxAttempts], [30, 5]);
    assert.equal(config.transport.outbox, '/media/usb/coldroot/outbox');
    const unit = readFileSync(join(dir, 'coldroot-agent.service'), 'utf8');
    for (const line of ['User=coldroot-agent', 'NoNewPrivileges=yes', 'ProtectSystem=strict', 'StateDirectory=coldroot-agent', 'ReadWritePaths=/var/lib/coldroot-agent', 'ReadWritePaths=-/media/usb/coldroot/inbox', 'ReadWritePaths=-/media/usb/coldroot/outbox']) {
      assert.ok(unit.split('\n').includes(line), `${line} in the unit`);
    }
  });

  test('the bundled agent runs from a folder without node_modules', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldroot-agent-alone-'));
    try {
      copyFileSync(join(work, 'db', 'agent/coldroot-agent.mjs'), join(dir, 'coldroot-agent.mjs'));
      const r = spawnSync(process.execPath, ['coldroot-agent.mjs', '--help'], { cwd: dir, encoding: 'utf8', env: { PATH: process.env.PATH } });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /Usage: coldroot-agent/);
      const check = spawnSync(process.execPath, ['coldroot-agent.mjs', '--config', join(work, 'db', 'config.json'), 'check-config'], { cwd: dir, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('install.sh verifies, installs with the key at 0600, and a second run (python3 verifier) changes nothing', () => {
    const prefix = prefixOf('first');
    const roots = result.anchors.map((a) => a.sha256.toUpperCase().replace(/(..)(?!$)/g, '$1:'));
    const first = install(join(work, 'web.agent-package'), prefix, roots);
    assert.equal(first.status, 0, first.stderr);
    const state = join(prefix, 'var/lib/coldroot-agent');
    assert.equal(statSync(join(state, 'bootstrap/key.pem')).mode & 0o777, 0o600);
    assert.equal(statSync(join(state, 'bootstrap')).mode & 0o777, 0o700);
    assert.equal(statSync(join(state, 'config.json')).mode & 0o777, 0o640);
    const pkg = join(work, 'web');
    for (const [src, dest] of [['agent/coldroot-agent.mjs', 'opt/coldroot-agent/coldroot-agent.mjs'], ['config.json', 'var/lib/coldroot-agent/config.json'], ['trust/anchors.pem', 'var/lib/coldroot-agent/trust/anchors.pem'], ['bootstrap/cert.pem', 'var/lib/coldroot-agent/bootstrap/cert.pem'], ['bootstrap/key.pem', 'var/lib/coldroot-agent/bootstrap/key.pem']]) {
      assert.ok(readFileSync(join(pkg, src)).equals(readFileSync(join(prefix, dest))), dest);
    }
    const unit = readFileSync(join(prefix, 'etc/systemd/system/coldroot-agent.service'), 'utf8');
    assert.match(unit, new RegExp(`^User=${me}$`, 'm'));
    assert.match(unit, new RegExp(`^ExecStart=${process.execPath.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')} /opt/coldroot-agent/coldroot-agent.mjs run$`, 'm'));
    const before = tree(prefix);
    const second = install(pkg, prefix, result.anchors.map((a) => a.sha256), { COLDROOT_VERIFIER: 'python3' });
    assert.equal(second.status, 0, second.stderr);
    assert.deepEqual(tree(prefix), before);
    assert.equal(statSync(join(state, 'bootstrap/key.pem')).mode & 0o777, 0o600);
  });

  test('--runtime sea: refused when the package holds no single executable; where it does, installed 0755 and named by the unit', () => {
    const roots = result.anchors.map((a) => a.sha256);
    const auto = install(join(work, 'web'), prefixOf('runtime-auto'), roots);
    assert.equal(auto.status, 0, auto.stderr);
    assert.match(auto.stdout, /runtime node\)/, 'node 20+ is here, so auto picks it');
    const wrong = unprivileged([join(work, 'web', 'install.sh'), '--runtime', 'java', '--root-sha256', roots[0]]);
    assert.equal(wrong.status, 2);
    assert.match(wrong.stderr, /--runtime 'java' is not auto, node or sea/);
    const prefix = prefixOf('runtime-sea');
    const r = unprivileged([join(work, 'web', 'install.sh'), '--prefix', prefix, '--user', me, '--no-systemd', '--runtime', 'sea', ...roots.flatMap((x) => ['--root-sha256', x])]);
    if (result.agent.sea.status === 'skipped') {
      assert.equal(r.status, 1);
      assert.match(r.stderr, /this package holds no single executable \(agent\/coldroot-agent\)/);
      assert.deepEqual(tree(prefix), []);
      return;
    }
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /runtime sea\)/);
    const bin = join(prefix, 'opt/coldroot-agent/coldroot-agent');
    assert.equal(statSync(bin).mode & 0o777, 0o755);
    assert.match(readFileSync(join(prefix, 'etc/systemd/system/coldroot-agent.service'), 'utf8'), /^ExecStart=\/opt\/coldroot-agent\/coldroot-agent run$/m);
    const check = spawnSync(bin, ['--config', join(prefix, 'var/lib/coldroot-agent/config.json'), 'check-config'], { encoding: 'utf8', env: { PATH: '/nonexistent' } });
    assert.equal(check.status, 0, check.stderr);
    assert.equal(JSON.parse(check.stdout).effective.host, 'web-01.fleet.example');
  });

  test('as root, files go to the agent user (here root itself: the test creates no system user)', { skip: !asRoot && 'needs root' }, () => {
    const prefix = prefixOf('as-root');
    const r = spawnSync('sh', [join(work, 'web', 'install.sh'), '--prefix', prefix, '--user', 'root', '--no-systemd', '--root-sha256', result.anchors[0].sha256], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const key = statSync(join(prefix, 'var/lib/coldroot-agent/bootstrap/key.pem'));
    assert.deepEqual([key.uid, key.mode & 0o777], [0, 0o600]);
  });

  const refused = (name: string, damage: (dir: string) => void, roots: () => string[], message: RegExp, env: NodeJS.ProcessEnv = {}) => {
    const dir = join(work, `tampered-${name}`);
    cpSync(join(work, 'db'), dir, { recursive: true });
    damage(dir);
    const prefix = prefixOf(name);
    const r = install(dir, prefix, roots(), env);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, message);
    assert.deepEqual(tree(prefix), [], 'nothing installed');
  };

  test('a tampered file is refused and nothing is installed (node and python3 verifiers)', () => {
    const flip = (dir: string) => {
      const f = join(dir, 'config.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace('"thresholdDays": 21', '"thresholdDays": 99'));
    };
    refused('file-node', flip, () => result.anchors.map((a) => a.sha256), /config\.json does not match its SHA-256 in manifest\.json/);
    refused('file-python', flip, () => result.anchors.map((a) => a.sha256), /config\.json does not match its SHA-256 in manifest\.json/, { COLDROOT_VERIFIER: 'python3' });
    refused('extra-file', (dir) => writeFileSync(join(dir, 'bootstrap', 'extra.pem'), 'x'), () => result.anchors.map((a) => a.sha256), /bootstrap\/extra\.pem is in the package but not listed in manifest\.json/);
  });

  test('a wrong --root-sha256 is refused and nothing is installed', () => {
    refused('root', () => undefined, () => ['ab'.repeat(32)], new RegExp(`trust/anchors.pem holds a certificate with SHA-256 fingerprint ${result.anchors[0].sha256}, which is not one given with --root-sha256`));
  });

  test('a manifest re-hashed to match a tampered file fails the signature and nothing is installed', () => {
    refused('manifest', (dir) => {
      const key = join(dir, 'bootstrap/key.pem');
      writeFileSync(key, readFileSync(join(work, 'web', 'bootstrap/key.pem')));
      const m = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
      const entry = m.files.find((f: { name: string }) => f.name === 'bootstrap/key.pem');
      entry.sha256 = execFileSync('sha256sum', [key], { encoding: 'utf8' }).split(' ')[0];
      entry.size = statSync(key).size;
      writeFileSync(join(dir, 'manifest.json'), `${JSON.stringify(m, null, 2)}\n`);
    }, () => result.anchors.map((a) => a.sha256), /the package signature \(manifest\.p7s\) does not verify/);
  });

  test('without root, another user cannot be installed for: refused after verification, nothing installed', () => {
    const prefix = prefixOf('other-user');
    const r = unprivileged([join(work, 'web', 'install.sh'), '--prefix', prefix, '--user', 'coldroot-nobody-here', '--no-systemd', '--root-sha256', result.anchors[0].sha256]);
    assert.equal(r.status, 1);
    assert.equal(r.stderr, 'install.sh: error: user coldroot-nobody-here does not exist and only root can create it\ninstall.sh: hint: Run install.sh as root, or pass --user with an existing user\n');
    assert.deepEqual(tree(prefix), []);
  });

  test('an existing output is refused before anything is issued: database and folder unchanged', async () => {
    const fp = databaseFingerprint(kit.svc.store.db);
    const taken = join(work, 'packages');
    const listing = tree(taken);
    await assert.rejects(generateAgentPackages(kit.svc.ctx, { caId: kit.deviceCa.id, caSecret: SECRET, signerSecret: SECRET, out: taken, devices: [{ host: 'new-01.fleet.example' }, { host: 'web-01.fleet.example' }] }),
      { code: 'OUTPUT_EXISTS', message: `Output file ${join(taken, 'web-01.fleet.example.agent-package')} already exists` });
    await assert.rejects(generateAgentPackages(kit.svc.ctx, { caId: kit.deviceCa.id, caSecret: SECRET, signerSecret: SECRET, out: result.packages[0].path, devices: [{ host: 'web-01.fleet.example' }] }), { code: 'OUTPUT_EXISTS' });
    assert.deepEqual(tree(taken), listing);
    assert.equal(databaseFingerprint(kit.svc.store.db), fp);
  });

  test('a configuration the agent refuses is reported with its path, and nothing is issued', async () => {
    const fp = databaseFingerprint(kit.svc.store.db);
    const out = join(work, 'bad-config.agent-package');
    await assert.rejects(generateAgentPackages(kit.svc.ctx, { caId: kit.deviceCa.id, caSecret: SECRET, signerSecret: SECRET, out, devices: [{ host: 'x-01.fleet.example' }], config: { renewal: { thresholdDays: 0 } }, sea: false }),
      (e: { code: string; message: string }) => e.code === 'AGENT_CONFIG_INVALID' && /renewal\.thresholdDays/.test(e.message));
    assert.equal(existsSync(out), false);
    assert.equal(databaseFingerprint(kit.svc.store.db), fp);
  });
});

function createHashOfPem(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();
}
