// The TLS front as a process (coldroot-agent serve-tls, agent-bundle/src/agent/main.ts): serve-tls with
// real clients, SIGTERM, status file, fail-safe on a bad new key; canary-snippet; input errors.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { leafFingerprint } from '../agent-bundle/src/tls-front/canary-runtime.js';
import { canaryArm } from '../agent-bundle/src/tls-front/client-split.js';
import { wave } from '../agent-bundle/src/tls-front/testing/loopback-harness.js';
import { makeCanaryPkis, type TestChain } from '../agent-bundle/src/tls-front/testing/canary-test-pki.js';

const REPO_ROOT = fileURLToPath(new URL('..', import.meta.url));
const MAIN = join(REPO_ROOT, 'agent-bundle/src/agent/main.ts');
const NODE_ARGS = ['--import', 'tsx', MAIN];
let dir: string;
let old: TestChain;
let next: TestChain;
let upstream: net.Server;
let upstreamPort: number;

before(async () => {
  ({ old, next } = await makeCanaryPkis());
  dir = mkdtempSync(join(tmpdir(), 'coldroot-canary-cli-'));
  for (const [name, text] of Object.entries({ 'old.pem': old.certPem, 'old.key': old.keyPem, 'new.pem': next.certPem, 'new.key': next.keyPem, 'root-a.pem': old.rootPem, 'root-b.pem': next.rootPem, 'roots-ab.pem': old.rootPem + next.rootPem })) writeFileSync(join(dir, name), text);
  upstream = net.createServer((s) => s.pipe(s));
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
  upstreamPort = (upstream.address() as net.AddressInfo).port;
});
after(async () => {
  await new Promise<void>((r) => upstream.close(() => r()));
  rmSync(dir, { recursive: true, force: true });
});

const f = (name: string) => join(dir, name);

/** Starts serve-tls and resolves with the process, its JSON lines so far, and the bound port. */
function startFront(extra: string[], newKey = 'new.key'): Promise<{ p: ChildProcessWithoutNullStreams; lines: Record<string, any>[]; port: number }> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, [...NODE_ARGS, 'serve-tls', '--listen', '127.0.0.1:0', '--upstream', `127.0.0.1:${upstreamPort}`,
      '--old-cert', f('old.pem'), '--old-key', f('old.key'), '--new-cert', f('new.pem'), '--new-key', f(newKey), ...extra], { cwd: REPO_ROOT, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
    const lines: Record<string, any>[] = [];
    let buf = '';
    const timer = setTimeout(() => (p.kill('SIGKILL'), reject(new Error('serve-tls did not start'))), 15_000);
    p.stdout.on('data', (d) => {
      buf += d;
      for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
        const line = JSON.parse(buf.slice(0, i));
        buf = buf.slice(i + 1);
        lines.push(line);
        if (line.event === 'tls-front-listening') {
          clearTimeout(timer);
          resolve({ p, lines, port: line.listen.port });
        }
      }
    });
    p.on('exit', (code) => reject(new Error(`serve-tls exited ${code}`)));
  });
}

function stop(p: ChildProcessWithoutNullStreams): Promise<number | null> {
  return new Promise((r) => {
    p.on('exit', (code) => r(code));
    p.kill('SIGTERM');
  });
}

function run(cmd: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args);
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => (clearTimeout(timer), resolve({ code: code ?? -1, stdout, stderr })));
    p.stdin.end(input);
  });
}

describe('serve-tls', () => {
  test('serves both certificates by client address, writes its status, stops cleanly on SIGTERM', async () => {
    writeFileSync(f('plan.json'), JSON.stringify({ schema: 'coldroot.canary.v1', id: 'cli-rollout', initialExposurePercent: 50 }));
    const { p, lines, port } = await startFront(['--plan', f('plan.json'), '--status-file', f('status.json')]);
    try {
      assert.equal(lines[0].event, 'canary-started');
      assert.equal(lines[0].newCertificate, leafFingerprint(next.certPem));
      assert.equal(lines[1].exposurePercent, 50);
      const clients = Array.from({ length: 16 }, (_, i) => ({ address: `127.0.5.${i + 1}`, ca: old.rootPem + next.rootPem }));
      const results = await wave(port, clients, 'cli');
      assert.deepEqual(results.map((r) => r.certificate), clients.map((c) => leafFingerprint((canaryArm(c.address, 50, 'cli-rollout') === 'new' ? next : old).certPem)));
      assert.ok(results.every((r) => r.ok && r.echoed));
      assert.equal(new Set(results.map((r) => r.certificate)).size, 2);
      const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', f('roots-ab.pem'), '-brief', '-verify_return_error'], 'x\n');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, new RegExp(`Peer certificate: CN = localhost ${canaryArm('127.0.0.1', 50, 'cli-rollout') === 'new' ? 'B' : 'A'}`));
      const status = JSON.parse(readFileSync(f('status.json'), 'utf8'));
      assert.equal(status.planId, 'cli-rollout');
      assert.equal(status.state, 'running');
      assert.equal(status.exposurePercent, 50);
    } finally {
      assert.equal(await stop(p), 0);
    }
    const last = lines[lines.length - 1];
    assert.equal(last.event, 'tls-front-stopped');
    assert.equal(last.accepted, 17, JSON.stringify(last));
    assert.equal(last.upstreamErrors, 0);
  });

  test('a new key that does not match: it says so and serves the old certificate to everyone', async () => {
    const { p, lines, port } = await startFront([], 'old.key');
    try {
      assert.equal(lines[0].event, 'canary-failed-safe');
      assert.match(lines[0].message, /^new certificate unusable: .*key values mismatch/);
      assert.equal(lines[lines.length - 1].exposurePercent, 0);
      const s = await run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', f('root-a.pem'), '-brief', '-verify_return_error'], 'x\n');
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /Verification: OK/);
      assert.match(s.stderr, /Peer certificate: CN = localhost A/);
    } finally {
      assert.equal(await stop(p), 0);
    }
  });

  test('input errors exit 2 with the code, the value and a hint', () => {
    writeFileSync(f('bad-plan.json'), JSON.stringify({ schema: 'coldroot.canary.v1', id: 'x', initialExposurePercent: 500 }));
    const base = ['serve-tls', '--listen', '127.0.0.1:0', '--upstream', '127.0.0.1:9', '--old-cert', f('old.pem'), '--old-key', f('old.key'), '--new-cert', f('new.pem'), '--new-key', f('new.key')];
    const cases: Array<[string[], RegExp]> = [
      [[...base, '--plan', f('bad-plan.json')], /^error CANARY_PLAN_INVALID: .*bad-plan\.json: initialExposurePercent: Too big: expected number to be <=100\nhint: Fix the plan/],
      [[...base.slice(0, 2), '127.0.0.1:http', ...base.slice(3)], /^error BAD_ADDRESS: --listen '127\.0\.0\.1:http' is not HOST:PORT\nhint: /],
      [[...base.slice(0, 6), f('missing.pem'), ...base.slice(7)], /^error FILE_UNREADABLE: Cannot read --old-cert .*missing\.pem: ENOENT\n/],
      [[...base.slice(0, 8), f('new.key'), ...base.slice(9)], /^error TLS_FRONT_OLD_CERT_UNUSABLE: The old \(current\) certificate and key do not load: .*key values mismatch\n/],
    ];
    for (const [args, message] of cases) {
      const r = spawnSync(process.execPath, [...NODE_ARGS, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 20_000, env: { ...process.env, NODE_NO_WARNINGS: '1' } });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, message);
    }
  });
});

test('canary-snippet prints the exposure for nginx and HAProxy', () => {
  const nginx = spawnSync(process.execPath, [...NODE_ARGS, 'canary-snippet', '--format', 'nginx', '--rollout-id', 'web-2026', '--exposure', '7.5', '--cert-dir', '/etc/coldroot/canary'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(nginx.status, 0, nginx.stderr);
  assert.match(nginx.stdout, /split_clients "\$\{remote_addr\}web-2026" \$coldroot_canary_cert \{\n {4}7\.5% {4}new;\n {4}\* {7}old;\n\}/);
  const haproxy = spawnSync(process.execPath, [...NODE_ARGS, 'canary-snippet', '--format', 'haproxy', '--rollout-id', 'web-2026', '--exposure', '7.5', '--cert-dir', '/etc/coldroot/canary', '--backend', 'web'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(haproxy.status, 0, haproxy.stderr);
  assert.match(haproxy.stdout, /mod\(10000\) lt 750\n/);
  const bad = spawnSync(process.execPath, [...NODE_ARGS, 'canary-snippet', '--format', 'nginx', '--rollout-id', 'x', '--exposure', 'lots', '--cert-dir', '/x'], { cwd: REPO_ROOT, encoding: 'utf8' });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /^error BAD_EXPOSURE: --exposure 'lots' is not a percentage\n/);
});
