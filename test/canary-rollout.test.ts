// Canary rollout of a new certificate through the real TLS front on loopback: node:tls clients
// from their own 127.x addresses, openssl s_client and curl for a few; time moves only through the
// injected clock (advanced between client waves), every loop is bounded.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { defaultCanaryPlan, type CanaryPlanInput } from '../core/policy/canary/canary-plan.js';
import type { CanaryDecision } from '../core/policy/canary/canary-controller.js';
import { CanaryRuntime, leafFingerprint } from '../agent-bundle/src/tls-front/canary-runtime.js';
import { canaryArm } from '../agent-bundle/src/tls-front/client-split.js';
import { serveTls, type TlsFront } from '../agent-bundle/src/tls-front/tls-front.js';
import { openLongLived, startEchoServer, wave, type ClientSpec, type EchoServer } from '../agent-bundle/src/tls-front/testing/loopback-harness.js';
import { makeCanaryPkis, type TestChain } from '../agent-bundle/src/tls-front/testing/canary-test-pki.js';

const T0 = Date.parse('2026-01-05T00:00:00Z');
let old: TestChain;
let next: TestChain;
let oldLeaf: string;
let newLeaf: string;
let dir: string;
const rootA = () => join(dir, 'root-a.pem');
const rootB = () => join(dir, 'root-b.pem');

before(async () => {
  ({ old, next } = await makeCanaryPkis());
  oldLeaf = leafFingerprint(old.certPem);
  newLeaf = leafFingerprint(next.certPem);
  dir = mkdtempSync(join(tmpdir(), 'coldroot-canary-'));
  writeFileSync(rootA(), old.rootPem);
  writeFileSync(rootB(), next.rootPem);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a tool without blocking the event loop (the front answers in this same process). */
function run(cmd: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => p.kill('SIGKILL'), 10_000);
    p.stdout.on('data', (d) => (stdout += d));
    p.stderr.on('data', (d) => (stderr += d));
    p.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
    p.stdin.end(input);
  });
}

const sClient = (port: number, caFile: string) => run('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-CAfile', caFile, '-verify_return_error', '-brief'], 'ping\n');
const curl = (port: number, caFile: string, from: string) => run('curl', ['-sS', '--max-time', '5', '--interface', from, '--cacert', caFile, `https://127.0.0.1:${port}/`]);

interface Rig {
  front: TlsFront;
  runtime: CanaryRuntime;
  echo: EchoServer;
  clock: { t: number };
  decisions: CanaryDecision[];
  close(): Promise<void>;
}

async function rig(id: string, plan: Omit<CanaryPlanInput, 'schema' | 'id'>): Promise<Rig> {
  const echo = await startEchoServer();
  const clock = { t: T0 };
  const decisions: CanaryDecision[] = [];
  const runtime = new CanaryRuntime({
    plan: defaultCanaryPlan(id, plan), old: { cert: old.certPem, key: old.keyPem }, next: { cert: next.certPem, key: next.keyPem },
    now: () => clock.t, onEvent: (e) => e.event === 'canary-decision' && decisions.push(e.decision),
  });
  const front = await serveTls({ listen: { host: '127.0.0.1', port: 0 }, upstream: { host: '127.0.0.1', port: echo.port }, runtime, cadence: 'manual' });
  return { front, runtime, echo, clock, decisions, close: async () => { await front.close(); await echo.close(); } };
}

/** 200 clients from 127.0.1.1–127.0.1.200; `untrusting(i)` trusts only root A; every fourth speaks TLS 1.2 only. */
function population(untrusting: (i: number) => boolean, subnet = 1): ClientSpec[] {
  return Array.from({ length: 200 }, (_, k) => {
    const i = k + 1;
    return { address: `127.0.${subnet}.${i}`, ca: untrusting(i) ? old.rootPem : old.rootPem + next.rootPem, maxVersion: i % 4 === 0 ? 'TLSv1.2' : 'TLSv1.3' };
  });
}

/** Waves every 10 s of injected time until the rollout leaves 'running' (at most `max` waves). */
async function rollOut(r: Rig, clients: ClientSpec[], max: number, between?: (wave: number) => Promise<void>) {
  let waves = 0;
  for (; waves < max && r.runtime.status().state === 'running'; waves++) {
    const results = await wave(r.front.address.port, clients, `w${waves}`);
    for (const res of results) assert.ok(!res.ok || res.echoed, `${res.address} shook hands but got no echo (${res.error})`);
    r.clock.t += 10_000;
    r.front.tick();
    await between?.(waves);
  }
  return waves;
}

describe('canary rollout through the TLS front', () => {
  test('30% of clients do not trust the new root: exposure falls to 0 and every client is back on the old certificate', async () => {
    const r = await rig('canary-untrusting', { initialExposurePercent: 20 });
    try {
      const clients = population((i) => i % 10 < 3);
      const onNew = clients.filter((c) => canaryArm(c.address, 20, 'canary-untrusting') === 'new');
      assert.ok(onNew.length >= 25, `${onNew.length} clients on new`);
      const first = await wave(r.front.address.port, clients, 'first');
      // Node clients refuse silently: a hang-up during (TLS 1.3) or right after (TLS 1.2) the handshake.
      const refused = first.filter((x) => !x.ok);
      assert.ok(refused.length > 0 && refused.every((x) => x.error === 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'));
      assert.ok(refused.every((x) => onNew.some((c) => c.address === x.address)));

      const waves = 1 + (await rollOut(r, clients, 12));
      assert.equal(r.runtime.status().state, 'rolled-back');
      assert.equal(r.runtime.exposure, 0);
      const rollback = r.decisions.find((d) => d.action === 'rollback')!;
      assert.ok(['target', 'success-rate'].includes(rollback.reason.metric), rollback.reason.message);
      assert.match(rollback.reason.message, /error:closed_(during|after)_handshake/);
      assert.ok(waves <= 6, `rolled back after ${waves} waves`);

      const last = await wave(r.front.address.port, clients, 'after');
      assert.deepEqual(last.filter((x) => !x.ok || !x.echoed), []);
      assert.ok(last.every((x) => x.certificate === oldLeaf));
      // curl from an address the split had put on new, trusting root A only, is served again.
      const curlRun = await curl(r.front.address.port, rootA(), onNew.find((c) => c.ca === old.rootPem)!.address);
      assert.equal(curlRun.code, 0, curlRun.stderr);
      assert.equal(curlRun.stdout, 'echo\n');
      assert.equal(r.echo.stats.errors.length, 0);
    } finally {
      await r.close();
    }
  });

  test('OpenSSL clients that send unknown_ca roll back at the next evaluation, as a hard failure', async () => {
    // A rollout id that puts 127.0.0.1 (where openssl s_client connects from) on the new certificate at 5%.
    let id = '';
    for (let k = 0; !id; k++) if (canaryArm('127.0.0.1', 5, `canary-alerts-${k}`) === 'new') id = `canary-alerts-${k}`;
    const r = await rig(id, {});
    try {
      const runs = await Promise.all(Array.from({ length: 6 }, () => sClient(r.front.address.port, rootA())));
      for (const s of runs) {
        assert.notEqual(s.code, 0);
        assert.match(s.stderr, /verify error|certificate verify failed/);
      }
      const curlRun = await curl(r.front.address.port, rootA(), '127.0.0.1');
      assert.equal(curlRun.code, 60, curlRun.stderr);
      await wave(r.front.address.port, population(() => false, 3), 'w0');
      r.clock.t += 10_000;
      const d = r.front.tick()!;
      assert.equal(d.action, 'rollback');
      assert.equal(d.reason.metric, 'hard-failure');
      assert.match(d.reason.message, /^7 certificate rejections on new .*most alert:unknown_ca ×7\)/);
      assert.equal(r.runtime.exposure, 0);

      const again = await sClient(r.front.address.port, rootA());
      assert.equal(again.code, 0, again.stderr);
      assert.match(again.stderr, /Verification: OK/);
      assert.match(again.stderr, /Peer certificate: CN = localhost A/);
    } finally {
      await r.close();
    }
  });

  test('all clients compatible: exposure reaches 100%, the new certificate becomes active, and the upstream drops no connection', async () => {
    // Sized for ~200 handshakes per 10 s: shorter windows and a looser budget than a busy host would use;
    // loopback handshake times under one shared CPU are noise, hence the wide time ratio.
    const r = await rig('canary-compatible', {
      confirmSeconds: 10,
      analysis: { windowSeconds: 30, settleSeconds: 10, minHandshakes: 20 },
      step: { policy: 'adaptive', failureBudgetPercent: 5 },
      thresholds: { handshakeTime: { maxRatio: 3 } },
    });
    try {
      const clients = population(() => false);
      // Connections opened before the rollout stay up through every exposure change.
      const longLived = await Promise.all(Array.from({ length: 8 }, (_, i) => openLongLived(r.front.address.port, { address: `127.0.2.${i + 1}`, ca: old.rootPem + next.rootPem })));
      const before = longLived.map((l) => l.certificate);
      const waves = await rollOut(r, clients, 40, async (w) => {
        for (const l of longLived) await l.ping(`keepalive ${w} ${l.address}\n`);
      });

      const status = r.runtime.status();
      assert.equal(status.state, 'complete', JSON.stringify(status.lastDecision?.reason));
      assert.equal(status.exposurePercent, 100);
      assert.equal(status.activeCertificate, 'new');
      assert.ok(waves <= 20, `${waves} waves`);
      const moves = r.decisions.filter((d) => d.from !== d.to);
      assert.ok(moves.length >= 4 && moves.every((d) => d.action === 'increase'), moves.map((d) => `${d.action} ${d.to}`).join(', '));
      assert.equal(r.decisions[r.decisions.length - 1].action, 'complete');

      const last = await wave(r.front.address.port, clients, 'after');
      assert.ok(last.every((x) => x.ok && x.echoed && x.certificate === newLeaf));
      const s = await sClient(r.front.address.port, rootB());
      assert.equal(s.code, 0, s.stderr);
      assert.match(s.stderr, /Verification: OK/);
      assert.match(s.stderr, /Peer certificate: CN = localhost B/);
      const c = await curl(r.front.address.port, rootB(), '127.0.1.77');
      assert.equal(c.code, 0, c.stderr);

      // The upstream saw every connection through: no errors, none cut short, long-lived ones untouched.
      assert.deepEqual(longLived.map((l) => l.certificate), before);
      assert.deepEqual(longLived.flatMap((l) => l.errors), []);
      await Promise.all(longLived.map((l) => l.end()));
      for (let i = 0; i < 50 && r.echo.stats.endedClean + r.echo.stats.endedEmpty < r.echo.stats.accepted; i++) await new Promise((res) => setTimeout(res, 20));
      const hs = status.handshakes;
      assert.equal(hs.old.failed + hs.new.failed, 0, JSON.stringify(hs));
      assert.deepEqual(r.echo.stats.errors, []);
      assert.equal(r.front.stats.upstreamErrors, 0);
      assert.equal(r.echo.stats.accepted, r.front.stats.proxied);
      assert.equal(r.echo.stats.endedClean, r.echo.stats.accepted);
      assert.equal(r.echo.stats.endedEmpty, 0);
    } finally {
      await r.close();
    }
  });
});
