// The agent runs a renewal bundle's canary plan through its TLS front: real TLS on loopback from
// 200 node:tls clients on their own 127.0.x.y addresses, time moved only by the injected clock
// (10 s per client wave), every loop bounded. The old certificate comes from another root (the
// canary test PKI's root A), the new one from the console fixture's Coldroot root, so "does not
// trust the new root" is literally a client trust store without it.
import assert from 'node:assert/strict';
import { createHash, createPrivateKey, X509Certificate } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type tls from 'node:tls';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1 } from '../core/bundles/payloads/renewal-request.js';
import { renewalRequestFile } from '../core/bundles/payloads/renewal-request-builder.js';
import type { RolloutPlan } from '../core/bundles/payloads/renewal.js';
import { writeTestBundle } from '../core/bundles/testing/bundle-test-kit.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { buildCsr } from '../core/x509/csr-builder.js';
import type { CanaryPlanInput } from '../core/policy/canary/canary-plan.js';
import { AgentCanary } from '../agent-bundle/src/agent/canary/agent-canary.js';
import { canaryStatePath, readCanaryState } from '../agent-bundle/src/agent/canary/canary-state.js';
import { acquireStateLock, withStateLock } from '../agent-bundle/src/agent/state/state-lock.js';
import { collectRound } from '../agent-bundle/src/agent/cli/collect-command.js';
import { parseAgentConfig } from '../agent-bundle/src/agent/config/agent-config.js';
import { AgentLoop } from '../agent-bundle/src/agent/lifecycle/agent-loop.js';
import { readAgentState } from '../agent-bundle/src/agent/lifecycle/agent-state-file.js';
import { CollectConfigSchema } from '../agent-bundle/src/agent/collect/collect-config.js';
import { collectOnce, writeMetricsBundle } from '../agent-bundle/src/agent/collect/collect-once.js';
import { applyRenewalBundle, readRotationState, type ApplyOptions } from '../agent-bundle/src/agent/rotation/apply-renewal.js';
import { GenerationStore } from '../agent-bundle/src/agent/rotation/generation-store.js';
import { makeConsoleFixture, SECRET, type ConsoleFixture, type FixtureDevice } from '../agent-bundle/src/agent/testing/console-fixture.js';
import { installCurrentCertificate, makeAgentState, writePendingRenewal, type AgentStateFixture } from '../agent-bundle/src/agent/testing/agent-state-fixture.js';
import { canaryArm } from '../agent-bundle/src/tls-front/client-split.js';
import { connectFrom, derFingerprint, startEchoServer, type EchoServer } from '../agent-bundle/src/tls-front/testing/loopback-harness.js';
import { makeCanaryPkis, type TestChain } from '../agent-bundle/src/tls-front/testing/canary-test-pki.js';
import { rolloutReport } from '../core/policy/canary/rollout-report.js';

const NOW = new Date('2026-03-02T06:00:00Z');
let fx: ConsoleFixture;
let old: TestChain;
const states: AgentStateFixture[] = [];

before(async () => {
  fx = await makeConsoleFixture('coldroot-canary-agent-');
  ({ old } = await makeCanaryPkis());
});
after(() => {
  for (const s of states) s.close();
  fx?.close();
});

const pemBlocks = (pem: string) => pem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n?/g)!.map((b) => b.trimEnd() + '\n');
const fp = (pem: string) => new X509Certificate(pem).fingerprint256.replace(/:/g, '').toLowerCase();

/** A renewal bundle answering `requestId` for the device, carrying `canary` in its rollout.json. */
async function renewalWithCanary(device: FixtureDevice, requestId: string, keyPem: string, canary: PlanInput): Promise<string> {
  const next = new SoftwareSigner(createPrivateKey(keyPem), 'ecdsa-p256', `software:pending-${requestId}`);
  const csr = await buildCsr(next, `CN=${device.host}`);
  const requests = await renewalRequestFile([{ requestId, host: device.host, profile: 'device-management', reason: 'expiring', csr, proof: { kind: 'current-certificate', certificate: device.identity.certificate, key: device.identity.signer } }]);
  // Sequence 100: the agent's own bundles (metrics) start at 1 under the same producer certificate.
  const req = await writeTestBundle(join(fx.kit.dir, `request-${requestId}.tar`), device.identity, 'renewal-request', 100,
    [{ name: RENEWAL_REQUEST_FILE, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1, json: requests }], { createdAt: fx.clock.now });
  const [imported] = await fx.svc.importBundles([req.path]);
  assert.equal(imported.status, 'accepted', JSON.stringify(imported));
  const rollout = { strategy: 'all-at-once', waves: [{ name: 'all', hosts: [device.host] }], canary: { ...canary, schema: 'coldroot.canary.v1' } } as RolloutPlan;
  const r = await fx.svc.exportRenewalBundle({ out: join(fx.kit.dir, `renewal-${requestId}.tar`), caId: fx.deviceCa.id, caSecret: SECRET, signerSecret: SECRET, requestBundle: req.bundleId, rollout });
  return r.path;
}

interface AgentRig {
  s: AgentStateFixture;
  device: FixtureDevice;
  opts: ApplyOptions;
  store: GenerationStore;
  bundle: string;
  oldFp: string;
}

async function agentWithRenewal(host: string, canary: PlanInput): Promise<AgentRig> {
  const device = await fx.device(host);
  const s = makeAgentState('coldroot-canary-agent-state-');
  states.push(s);
  const [leaf, ...chain] = pemBlocks(old.certPem);
  await installCurrentCertificate(s.layout, { certificatePem: leaf, keyPem: old.keyPem, chainPem: chain.join(''), rootPem: fx.rootPem, at: NOW });
  const keyPem = fx.newKeyPem();
  await writePendingRenewal(s.layout, { requestId: `req-${host}`, host, keyPem, createdAt: NOW });
  const bundle = await renewalWithCanary(device, `req-${host}`, keyPem, canary);
  const opts: ApplyOptions = { layout: s.layout, host, now: NOW, trustAnchors: fx.trustAnchors, canaryFront: true };
  return { s, device, opts, store: new GenerationStore(s.layout), bundle, oldFp: fp(leaf) };
}

interface Result { address: string; ok: boolean; echoed: boolean; certificate?: string; error?: string }

/** One client connection; names are not checked (the certificates name the fleet host, clients dial 127.0.0.1), trust is. */
function connectOnce(port: number, address: string, ca: string, message: string): Promise<Result> {
  return new Promise((resolve) => {
    const r: Result = { address, ok: false, echoed: false };
    let got = '';
    const socket = connectFrom(port, address, { ca, checkServerIdentity: () => undefined } as tls.ConnectionOptions);
    const timer = setTimeout(() => { r.error = 'timeout'; socket.destroy(); }, 5_000);
    socket.on('secureConnect', () => { r.ok = true; r.certificate = derFingerprint(socket.getPeerCertificate().raw); socket.write(message); });
    socket.on('data', (d) => { got += d.toString('utf8'); if (got === message) { r.echoed = true; socket.end(); } });
    socket.on('error', (e: NodeJS.ErrnoException) => { r.ok = false; r.error ??= e.code ?? e.message; });
    socket.on('close', () => { clearTimeout(timer); resolve(r); });
  });
}

async function wave(port: number, clients: Array<{ address: string; ca: string }>, label: string): Promise<Result[]> {
  const out: Result[] = new Array(clients.length);
  let next = 0;
  const worker = async () => { for (let i = next++; i < clients.length; i = next++) out[i] = await connectOnce(port, clients[i].address, clients[i].ca, `${label}:${clients[i].address}\n`); };
  await Promise.all(Array.from({ length: 16 }, worker));
  return out;
}

/** 200 clients on 127.0.<subnet>.1–200; `untrusting(i)` trusts only the old root. */
function population(subnet: number, untrusting: (i: number) => boolean) {
  return Array.from({ length: 200 }, (_, k) => ({ address: `127.0.${subnet}.${k + 1}`, ca: untrusting(k + 1) ? old.rootPem : old.rootPem + fx.rootPem }));
}

type PlanInput = Omit<CanaryPlanInput, 'schema'>;

const FAST: PlanInput = {
  id: 'x', confirmSeconds: 10, analysis: { windowSeconds: 30, settleSeconds: 10, minHandshakes: 20 },
  step: { policy: 'adaptive', failureBudgetPercent: 5 }, thresholds: { handshakeTime: { maxRatio: 3 } },
};

describe('the agent runs a renewal bundle\'s canary plan', () => {
  let echo: EchoServer;
  before(async () => { echo = await startEchoServer(); });
  after(async () => { await echo.close(); });

  test('all clients compatible: exposure reaches 100% (across an agent restart), the new certificate becomes active, metrics carry both certificates and the progress, the console reports it', async (t) => {
    const host = 'edge-canary-ok.fleet.example';
    const a = await agentWithRenewal(host, { ...FAST, id: 'agent-canary-ok', initialExposurePercent: 5 });
    const out = await applyRenewalBundle(a.bundle, a.opts);
    assert.equal(out.status, 'canary', JSON.stringify(out));
    assert.ok(out.status === 'canary');
    assert.equal((await a.store.active())!.fingerprintSha256, a.oldFp, 'the old certificate stays active while the canary runs');
    const newFp = (await a.store.material(out.generation)).fingerprintSha256;

    const clock = { t: NOW.getTime() };
    const rotation = () => ({ ...a.opts, now: new Date(clock.t) });
    const front = { listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` };
    let canary = (await AgentCanary.resume({ rotation: rotation(), front, clock: () => clock.t }))!;
    assert.ok(canary);
    const clients = population(21, () => false);
    let waves = 0;
    let restarted = false;
    try {
      for (; waves < 40 && canary.status.state === 'running'; waves++) {
        const results = await wave(canary.front.address.port, clients, `w${waves}`);
        assert.deepEqual(results.filter((r) => !r.ok || !r.echoed), [], 'every compatible client is served');
        clock.t += 10_000;
        await canary.tick(rotation());
        if (!restarted && canary.status.exposurePercent >= 20 && canary.status.state === 'running') {
          // The agent restarts: the front goes, a new one resumes from canary-state.json at the same exposure.
          const before = canary.status.exposurePercent;
          await canary.close();
          canary = (await AgentCanary.resume({ rotation: rotation(), front, clock: () => clock.t }))!;
          assert.equal(canary.runtime.exposure, before);
          restarted = true;
        }
      }
      assert.ok(restarted, 'the rollout went through a restart');
      assert.equal(canary.status.state, 'complete', JSON.stringify(canary.status.lastDecision));
      assert.equal(canary.status.exposurePercent, 100);
      const active = (await a.store.active())!;
      assert.equal(active.fingerprintSha256, newFp, 'the new certificate is the active one');
      assert.equal((await a.store.pointer())!.previous, (await readCanaryState(a.s.layout))!.oldGeneration);
      assert.equal(existsSync(a.s.layout.pending(`req-${host}`)), false);
      const last = await wave(canary.front.address.port, clients, 'after');
      assert.ok(last.every((r) => r.echoed && r.certificate === newFp));
      assert.equal(echo.stats.errors.length, 0, 'the upstream saw no broken connection');

      // Metrics: one sample per certificate with the front's handshakes, plus rollout.json.
      const collected = await collectOnce({ layout: a.s.layout, config: CollectConfigSchema.parse({ system: { enabled: false } }), host, certificateSha256: a.oldFp, now: new Date(clock.t), canary });
      assert.equal(collected.samples.length, 2);
      const byCert = new Map(collected.samples.map((x) => [x.cert, x]));
      assert.ok(byCert.get(a.oldFp)!.hs_attempted > 0 && byCert.get(newFp)!.hs_attempted > 0);
      assert.equal(byCert.get(newFp)!.hs_failed, 0);
      const written = await writeMetricsBundle({ layout: a.s.layout, identity: a.device.identity, samples: collected.samples, now: new Date(clock.t), outDir: join(a.s.dir, 'outbox') });
      const [imp] = await fx.svc.importBundles([written.path]);
      assert.equal(imp.status, 'accepted', JSON.stringify(imp));
      const report = rolloutReport(fx.svc.ctx, { hosts: [host] });
      assert.equal(report.rollouts.length, 1, JSON.stringify(report));
      const r = report.rollouts[0];
      assert.equal(r.newCertificate, newFp);
      assert.equal(r.state, 'complete');
      assert.equal(r.planId, 'agent-canary-ok');
      assert.equal(r.new.failed, 0);
      assert.ok(r.timeToFullSeconds !== null && r.timeToFullSeconds > 0);
      t.diagnostic(`complete after ${waves} waves of 200 clients; exposure ${r.changes.map((c) => c.to).join(' → ')}; time to 100% ${r.timeToFullSeconds} s; old ${r.old.attempted} / new ${r.new.attempted} handshakes, p95 ${r.old.p95Ms} / ${r.new.p95Ms} ms`);
    } finally {
      await canary.close();
    }
  });

  test('30% of clients do not trust the new root: the agent rolls back to 0, the old certificate stays active, and the reason is reported', async (t) => {
    const host = 'edge-canary-bad.fleet.example';
    const a = await agentWithRenewal(host, { id: 'agent-canary-bad', initialExposurePercent: 20 });
    const out = await applyRenewalBundle(a.bundle, a.opts);
    assert.equal(out.status, 'canary', JSON.stringify(out));
    assert.ok(out.status === 'canary');
    const newFp = (await a.store.material(out.generation)).fingerprintSha256;
    const clock = { t: NOW.getTime() };
    const rotation = () => ({ ...a.opts, now: new Date(clock.t) });
    const canary = (await AgentCanary.resume({ rotation: rotation(), front: { listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }, clock: () => clock.t }))!;
    const clients = population(22, (i) => i % 10 < 3);
    assert.ok(clients.filter((c) => c.ca === old.rootPem && canaryArm(c.address, 20, 'agent-canary-bad') === 'new').length >= 5);
    try {
      let finished = null;
      for (let waves = 0; waves < 8 && canary.status.state === 'running'; waves++) {
        await wave(canary.front.address.port, clients, `w${waves}`);
        clock.t += 10_000;
        finished = (await canary.tick(rotation())).finished;
      }
      assert.equal(canary.status.state, 'rolled-back');
      assert.equal(canary.status.exposurePercent, 0);
      assert.ok(finished && finished.status === 'rolled-back', JSON.stringify(finished));
      assert.match(canary.status.rollbackReason!, /error:closed_(during|after)_handshake|certificate rejections/);
      assert.equal((await a.store.active())!.fingerprintSha256, a.oldFp, 'the old certificate is still active');
      assert.equal(await a.store.exists(out.generation), false, 'the refused generation is gone');
      const persisted = (await readCanaryState(a.s.layout))!;
      assert.equal(persisted.state, 'rolled-back');
      assert.equal(persisted.rollbackReason, canary.status.rollbackReason);
      const last = await wave(canary.front.address.port, clients, 'after');
      assert.ok(last.every((r) => r.echoed && r.certificate === a.oldFp), 'every client is served by the old certificate again');
      // Applying the bundle again is a duplicate, not a second canary.
      assert.equal((await applyRenewalBundle(a.bundle, { ...a.opts, now: new Date(clock.t) })).status, 'duplicate');

      const collected = await collectOnce({ layout: a.s.layout, config: CollectConfigSchema.parse({ system: { enabled: false } }), host, certificateSha256: a.oldFp, now: new Date(clock.t), canary });
      const newSample = collected.samples.find((x) => x.cert === newFp)!;
      assert.ok(newSample.hs_failed > 0);
      const written = await writeMetricsBundle({ layout: a.s.layout, identity: a.device.identity, samples: collected.samples, now: new Date(clock.t), outDir: join(a.s.dir, 'outbox') });
      const [imp] = await fx.svc.importBundles([written.path]);
      assert.equal(imp.status, 'accepted', JSON.stringify(imp));
      const r = rolloutReport(fx.svc.ctx, { hosts: [host] }).rollouts[0];
      assert.equal(r.state, 'rolled-back');
      assert.ok(r.timeToRollbackSeconds !== null && r.timeToRollbackSeconds <= 60, String(r.timeToRollbackSeconds));
      assert.ok(r.new.failed > 0 && r.failuresCausedByNew > 0);
      assert.match(r.rollbackReason ?? '', /closed|rejection/);
      t.diagnostic(`rolled back after ${r.timeToRollbackSeconds} s; new ${r.new.failed} of ${r.new.attempted} failed (caused by new: ${r.failuresCausedByNew}); ${r.rollbackReason}`);
    } finally {
      await canary.close();
    }
  });

  test('the agent loop: a bundle in the inbox starts the front, ticks drive it to a rollback, the lifecycle records it, and the next metrics bundle carries rollout.json', async () => {
    const host = 'edge-canary-loop.fleet.example';
    const a = await agentWithRenewal(host, { id: 'agent-canary-loop', initialExposurePercent: 20 });
    const config = parseAgentConfig({
      host, stateDir: a.s.dir, canary: { listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` },
      collect: { system: { enabled: false } }, prometheus: { textfile: false },
    }, 'test config');
    const events: string[] = [];
    const loop = new AgentLoop({ config, layout: a.s.layout, canaryCadence: 'tick', log: (e) => events.push(e.event) });
    await loop.prepare();
    copyFileSync(a.bundle, join(a.s.layout.inbox, 'renewal.tar'));
    let now = NOW.getTime();
    try {
      const first = await loop.tick(new Date(now));
      assert.deepEqual(first.applied.map((x) => x.outcome), ['canary'], JSON.stringify(first.applied));
      assert.equal(first.canary?.state, 'running');
      assert.equal(first.canary?.exposurePercent, 20);
      const port = loop.canary!.front.address.port;
      const clients = population(23, (i) => i % 10 < 3);
      let last = first;
      for (let k = 0; k < 8 && last.canary?.state === 'running'; k++) {
        await wave(port, clients, `loop${k}`);
        now += 10_000;
        last = await loop.tick(new Date(now));
      }
      assert.equal(last.canary?.state, 'rolled-back');
      assert.equal(last.canary?.finished?.status, 'rolled-back');
      assert.equal((await a.store.active())!.fingerprintSha256, a.oldFp);
      const st = await readAgentState(a.s.layout);
      assert.equal(st.counters.failures, 0, 'no request of ours was pending in the lifecycle state, so nothing is counted against it');
      assert.ok(events.includes('canary.rolled-back'), events.join(','));

      const round = await collectRound(loop, new Date(now));
      const listing = spawnSync('tar', ['tf', round.bundle], { encoding: 'utf8' });
      assert.deepEqual(listing.stdout.trim().split('\n').sort(), ['manifest.json', 'manifest.p7s', 'metrics.ndjson.gz', 'rollout.json']);
      const rollout = JSON.parse(spawnSync('tar', ['xOf', round.bundle, 'rollout.json'], { encoding: 'utf8' }).stdout);
      assert.equal(rollout.schema, 'coldroot.rollout-progress.v1');
      assert.equal(rollout.rollouts[0].state, 'rolled-back');
      assert.equal(round.records, 2, 'one sample per certificate');
      // The bundle's manifest (listing rollout.json with its SHA-256) verifies with openssl against the management certificate's root.
      const x = join(a.s.dir, 'x');
      spawnSync('mkdir', ['-p', x]);
      spawnSync('tar', ['xf', round.bundle, '-C', x]);
      writeFileSync(join(x, 'root.pem'), old.rootPem);
      const v = spawnSync('openssl', ['cms', '-verify', '-binary', '-inform', 'DER', '-in', join(x, 'manifest.p7s'), '-content', join(x, 'manifest.json'), '-CAfile', join(x, 'root.pem'), '-purpose', 'any', '-out', '/dev/null'], { encoding: 'utf8' });
      assert.equal(v.status, 0, v.stderr);
      const manifest = JSON.parse(readFileSync(join(x, 'manifest.json'), 'utf8'));
      const listed = manifest.files.find((f: { name: string }) => f.name === 'rollout.json');
      assert.equal(listed.schema, 'coldroot.rollout-progress.v1');
      assert.equal(listed.sha256, createHash('sha256').update(readFileSync(join(x, 'rollout.json'))).digest('hex'));
    } finally {
      await loop.close();
    }
  });

  test('on its timer, the rollout evaluates and finishes under the agent\'s state lock: while another command holds it, a beat waits and changes nothing, then completes', async (t) => {
    const host = 'edge-canary-timer.fleet.example';
    const a = await agentWithRenewal(host, { ...FAST, id: 'agent-canary-timer', initialExposurePercent: 50 });
    const out = await applyRenewalBundle(a.bundle, a.opts);
    assert.ok(out.status === 'canary', JSON.stringify(out));
    const newFp = (await a.store.material(out.generation)).fingerprintSha256;
    const clock = { t: NOW.getTime() };
    // The injected timer: the test beats by hand. The lock's waits are counted, never slept (bounded: AGENT_BUSY after 50 polls).
    const timer: { beat: (() => Promise<void>) | null } = { beat: null };
    let polls = 0;
    const lockSleep = async () => { polls++; await new Promise<void>((r) => setImmediate(r)); };
    const finished: string[] = [];
    const canary = (await AgentCanary.resume({
      rotation: { ...a.opts, now: new Date(clock.t) }, front: { listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }, clock: () => clock.t,
      cadence: 'timer', schedule: (b) => { timer.beat = b; return () => { timer.beat = null; }; },
      exclusive: (command, fn) => withStateLock(a.s.layout, { command, sleep: lockSleep, pollMs: 200, waitMs: 200 * 50 }, fn),
      onFinished: async (o) => { finished.push(o.status); },
    }))!;
    const watched = [canaryStatePath(a.s.layout), a.s.layout.active, a.s.layout.rotationState];
    const snapshot = () => watched.map((f) => (existsSync(f) ? readFileSync(f, 'utf8') : null));
    const clients = population(25, () => false);
    try {
      assert.ok(timer.beat, 'the timer cadence scheduled its beat');
      let waves = 0;
      for (; waves < 20 && canary.status.state === 'running'; waves++) {
        await wave(canary.front.address.port, clients, `t${waves}`);
        clock.t += 10_000;
        // A typed command (apply) holds the lock: the beat must wait for it and touch nothing meanwhile.
        const release = await acquireStateLock(a.s.layout, { command: 'apply' });
        const before = snapshot();
        const target = polls + 3;
        let settled = false;
        const pending = timer.beat!().then(() => { settled = true; });
        for (let i = 0; i < 10_000 && polls < target && !settled; i++) await new Promise<void>((r) => setImmediate(r));
        assert.equal(settled, false, `wave ${waves}: the beat did not run while the lock was held`);
        assert.ok(polls >= target, `wave ${waves}: the beat is waiting for the lock`);
        assert.deepEqual(snapshot(), before, `wave ${waves}: nothing changed in the state folder while the lock was held`);
        await release();
        await pending;
      }
      assert.equal(canary.status.state, 'complete', JSON.stringify(canary.status.lastDecision));
      assert.deepEqual(finished, ['installed'], 'the finished rollout was handed over once');
      assert.equal((await a.store.active())!.fingerprintSha256, newFp, 'the new certificate became active after the lock was released');
      assert.equal((await readRotationState(a.s.layout)).journal, null);
      assert.equal(existsSync(join(a.s.layout.root, 'agent.lock')), false, 'the beat released the lock');
      t.diagnostic(`complete after ${waves} timer beats, each held off by a lock holder (${polls} lock polls in all)`);
    } finally {
      await canary.close();
    }
  });

  test('a new generation that no longer loads: the front fails safe at once, serves the old certificate, and the rollout ends as failed-safe', async () => {
    const a = await agentWithRenewal('edge-canary-broken.fleet.example', { id: 'agent-canary-broken' });
    const out = await applyRenewalBundle(a.bundle, a.opts);
    assert.ok(out.status === 'canary', JSON.stringify(out));
    writeFileSync(join(a.s.layout.generation(out.generation), 'key.pem'), '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n');
    const clock = { t: NOW.getTime() };
    const canary = (await AgentCanary.resume({ rotation: a.opts, front: { listen: '127.0.0.1:0', upstream: `127.0.0.1:${echo.port}` }, clock: () => clock.t }))!;
    try {
      const served = await wave(canary.front.address.port, population(24, () => false).slice(0, 40), 'broken');
      assert.ok(served.every((r) => r.echoed && r.certificate === a.oldFp));
      const r = await canary.tick();
      assert.equal(r.state, 'failed-safe');
      assert.equal(r.finished?.status, 'rolled-back');
      assert.ok(r.finished?.status === 'rolled-back' && r.finished.code === 'CANARY_FAILED_SAFE');
      assert.match(canary.status.rollbackReason!, /^the rollout failed safe: new certificate unusable: /);
      assert.equal((await a.store.active())!.fingerprintSha256, a.oldFp);
    } finally {
      await canary.close();
    }
  });

  test('the agent configuration\'s canary member is parsed strictly', () => {
    assert.throws(() => parseAgentConfig({ host: 'a.example', canary: { listen: 'nope', upstream: '127.0.0.1:8080', extra: 1 } }, 'cfg.json'), (e: Error) => {
      assert.equal(e.message, 'Configuration cfg.json is invalid:\n  canary.listen: ADDR:PORT such as 0.0.0.0:443\n  canary.extra: unknown key in canary; remove it or check the spelling (see docs/agent.md)');
      return true;
    });
    assert.equal(parseAgentConfig({ host: 'a.example', canary: { listen: '0.0.0.0:443', upstream: '127.0.0.1:8080' } }, 'cfg.json').canary?.successOn, 'client-data');
  });

  test('without a TLS front the plan is applied all at once and the outcome says so', async () => {
    const a = await agentWithRenewal('edge-canary-nofront.fleet.example', { id: 'agent-canary-nofront' });
    const out = await applyRenewalBundle(a.bundle, { ...a.opts, canaryFront: false });
    assert.equal(out.status, 'installed', JSON.stringify(out));
    assert.ok(out.status === 'installed');
    assert.match(out.rollout ?? '', /applied all at once: no TLS front configured/);
    assert.equal((await readCanaryState(a.s.layout))!.state, 'all-at-once');
  });
});
