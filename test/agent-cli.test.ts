import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { generateKeyPairSync } from 'node:crypto';
import { cpSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeConsoleFixture, SECRET, type ConsoleFixture } from '../agent-bundle/src/agent/testing/console-fixture.js';
import { formatStatus, type AgentStatus } from '../agent-bundle/src/agent/cli/agent-status.js';
import { clockOf } from '../agent-bundle/src/agent/cli/agent-options.js';
import { StateLayout } from '../agent-bundle/src/agent/state/state-layout.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { buildCsr } from '../core/x509/csr-builder.js';

/* The agent's CLI as a device runs it: a child process, --config FILE, the clock given with --now. */

const BIN = join(import.meta.dirname, '..', 'bin', 'coldroot-agent.js');
const T0 = new Date('2026-03-02T00:00:00Z');
const HOST = 'cli-01.fleet.example';

function agent(args: string[], env: Record<string, string> = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

let fx: ConsoleFixture;
let layout: StateLayout;
let configFile: string;

before(async () => {
  fx = await makeConsoleFixture('coldroot-agent-cli-', T0);
  layout = new StateLayout(join(fx.dir, 'agent'));
  mkdirSync(join(layout.root, 'trust'), { recursive: true });
  mkdirSync(layout.bootstrapDir, { recursive: true });
  writeFileSync(layout.trustAnchors, fx.rootPem);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const issued = await fx.svc.issueCertificate({ caId: fx.deviceCa.id, secret: SECRET, profile: 'device-bootstrap', csr: await buildCsr(new SoftwareSigner(privateKey, 'ecdsa-p256', 'software:b'), `CN=${HOST}`) });
  writeFileSync(layout.bootstrapCert, `${issued.certificatePem.trimEnd()}\n${fx.deviceCa.certificatePem!}`);
  writeFileSync(layout.bootstrapKey, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  configFile = join(fx.dir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ host: HOST, stateDir: layout.root, renewal: { thresholdDays: 30 } }));
});
after(() => fx.close());

describe('coldroot-agent CLI', () => {
  test('check-config prints the effective configuration and rejects an unknown key with exit 2', () => {
    const ok = agent(['check-config', '--config', configFile]);
    assert.equal(ok.status, 0, ok.stderr);
    const parsed = JSON.parse(ok.stdout) as { ok: boolean; effective: { retry: { maxAttempts: number }; stateDir: string } };
    assert.equal(parsed.ok, true);
    assert.equal(parsed.effective.retry.maxAttempts, 10);

    const bad = join(fx.dir, 'bad.json');
    writeFileSync(bad, JSON.stringify({ host: HOST, renewal: { thresholdDays: 30, treshold: 5 } }));
    const r = agent(['check-config'], { COLDROOT_AGENT_CONFIG: bad });
    assert.equal(r.status, 2);
    assert.equal(r.stderr, `error AGENT_CONFIG_INVALID: Configuration ${bad} is invalid:\n  renewal.treshold: unknown key in renewal; remove it or check the spelling (see docs/agent.md)\nhint: Fix ${bad}, then check it with: coldroot-agent check-config --config ${bad}\n`);

    const missing = agent(['status', '--config', join(fx.dir, 'nope.json')]);
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^error AGENT_CONFIG_UNREADABLE: Cannot read configuration .*nope\.json: ENOENT/);
    assert.throws(() => clockOf({ now: 'yesterday' }), { code: 'AGENT_BAD_TIME', kind: 'input' });
  });

  test('run --once enrols through the outbox, status --json shows the certificate and renewal state', async () => {
    const tick = agent(['run', '--once', '--config', configFile, '--now', T0.toISOString()]);
    assert.equal(tick.status, 0, tick.stderr);
    const lines = tick.stdout.trim().split('\n').map((l) => JSON.parse(l) as { event: string; at: string });
    assert.deepEqual(lines.map((l) => l.event), ['renewal-requested', 'renewal-request-sent'], tick.stdout);
    assert.ok(lines.every((l) => l.at === T0.toISOString()), 'log lines carry the --now time');

    const pending = JSON.parse(agent(['status', '--json', '--config', configFile, '--now', T0.toISOString()]).stdout) as { renewal: { status: string; pendingRequestId: string; sent: boolean }; counters: { attempts: number } };
    assert.equal(pending.renewal.status, 'pending');
    assert.equal(pending.renewal.sent, true);
    assert.equal(pending.counters.attempts, 1);

    // The console answers; `apply FILE` installs the renewal bundle.
    const [req] = readdirSync(layout.outbox).filter((n) => !n.startsWith('.'));
    fx.clock.now = T0;
    const [imported] = await fx.svc.importBundles([join(layout.outbox, req)]);
    assert.equal(imported.status, 'accepted');
    const out = await fx.svc.exportRenewalBundle({ out: join(fx.dir, 'renewal.tar'), caId: fx.deviceCa.id, caSecret: SECRET, signerSecret: SECRET });
    const applied = agent(['apply', out.path, '--config', configFile, '--now', new Date(T0.getTime() + 60_000).toISOString()]);
    assert.equal(applied.status, 0, applied.stderr);
    assert.equal((JSON.parse(applied.stdout.slice(applied.stdout.indexOf('{\n'))) as { status: string }).status, 'installed');

    const later = new Date(T0.getTime() + 340 * 86_400_000).toISOString();
    const st = agent(['status', '--json', '--config', configFile, '--now', later]);
    assert.equal(st.status, 0, st.stderr);
    const s = JSON.parse(st.stdout) as { host: string; certificate: { state: string; daysLeft: number; serial: string; notAfter: string }; renewal: { status: string; due: boolean; pendingRequestId: string | null }; counters: { successes: number }; lastSuccessAt: string; bootstrap: { valid: boolean } };
    assert.equal(s.host, HOST);
    assert.equal(s.certificate.state, 'expiring');
    assert.equal(s.certificate.serial, out.issued[0].serial);
    assert.equal(s.certificate.notAfter, out.issued[0].notAfter);
    assert.equal(s.certificate.daysLeft, 24);
    assert.deepEqual([s.renewal.status, s.renewal.due, s.renewal.pendingRequestId], ['idle', true, null]);
    assert.equal(s.counters.successes, 1);
    assert.equal(s.bootstrap.valid, true);

    // collect: one round of metrics, signed by the management certificate, that the console imports.
    const collected = agent(['collect', '--config', configFile, '--now', later]);
    assert.equal(collected.status, 0, collected.stderr);
    const c = JSON.parse(collected.stdout.slice(collected.stdout.lastIndexOf('\n{\n') + 1)) as { bundle: string; records: number };
    assert.equal(c.records, 1);
    assert.match(c.bundle, /\/outbox\/metrics-.*\.tar$/);
    fx.clock.now = new Date(later);
    await fx.publishCrls();
    const [metrics] = await fx.svc.importBundles([c.bundle]);
    assert.equal(metrics.status, 'accepted', JSON.stringify(metrics));

    // The text form of the same status.
    assert.match(formatStatus(s as unknown as AgentStatus), /certificate {5}expiring \(not after .*, 24 days left\), serial [0-9a-f]+\n/);
  });

  test('run serves /metrics on loopback and stops cleanly on SIGTERM', async () => {
    const free = createServer();
    await new Promise<void>((r) => free.listen(0, '127.0.0.1', () => r()));
    const port = (free.address() as AddressInfo).port;
    await new Promise<void>((r) => free.close(() => r()));
    const cfg = join(fx.dir, 'run.json');
    // Its own state folder (same trust anchors and bootstrap credential): `run` ticks on the wall clock, which must not touch the other test's state.
    const runLayout = new StateLayout(join(fx.dir, 'run-state'));
    cpSync(join(layout.root, 'trust'), join(runLayout.root, 'trust'), { recursive: true });
    cpSync(layout.bootstrapDir, runLayout.bootstrapDir, { recursive: true });
    writeFileSync(cfg, JSON.stringify({ host: HOST, stateDir: runLayout.root, prometheus: { textfile: true, listen: `127.0.0.1:${port}` } }));
    const child = spawn(process.execPath, [BIN, 'run', '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      let out = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no metrics-endpoint line within 30 s: ${out}`)), 30_000);
        child.stdout!.on('data', (d) => {
          out += String(d);
          const m = /"event":"metrics-endpoint","level":"info","url":"([^"]+)"/.exec(out);
          if (m && out.includes('"event":"renewal-')) { clearTimeout(timer); resolve(m[1]); }
        });
        child.on('exit', (code) => reject(new Error(`agent exited (${code}): ${out}`)));
      });
      assert.equal(url, `http://127.0.0.1:${port}/metrics`);
      // The first renewal attempt is logged before its counters are saved: poll (bounded) until they are.
      let text = '';
      for (let i = 0; i < 100 && !/renewal_attempts_total\{[^}]*\} 1\n/.test(text); i++) {
        if (i) await new Promise((r) => setTimeout(r, 100));
        text = await (await fetch(url)).text();
      }
      assert.match(text, /coldroot_agent_renewal_attempts_total\{host="cli-01.fleet.example"\} 1\n/);
      assert.match(text, /coldroot_agent_certificate_expiry_timestamp_seconds\{host="cli-01.fleet.example"\} 0\n/);
      const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      assert.match(out, /"event":"agent-stopped"/);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
