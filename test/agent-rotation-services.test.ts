import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describeCertificate } from '../core/x509/certificate-info.js';
import { applyRenewalBundle, readRotationState, resumeRotation, type ApplyOptions } from '../agent-bundle/src/agent/rotation/apply-renewal.js';
import { GenerationStore } from '../agent-bundle/src/agent/rotation/generation-store.js';
import type { ServiceActivation } from '../agent-bundle/src/agent/rotation/service-activation.js';
import { sha256Hex, tlsProbe } from '../agent-bundle/src/agent/rotation/tls-probe.js';
import type { AgentEvent } from '../agent-bundle/src/agent/state/agent-event.js';
import { installCurrentCertificate, makeAgentState, writePendingRenewal, type AgentStateFixture } from '../agent-bundle/src/agent/testing/agent-state-fixture.js';
import { makeConsoleFixture, type ConsoleFixture, type FixtureDevice } from '../agent-bundle/src/agent/testing/console-fixture.js';
import { openssl } from './helpers/openssl.js';

const SERVER = new URL('../agent-bundle/src/agent/testing/reloading-tls-server.mjs', import.meta.url).pathname;
const CHILD_SOURCE = new URL('../agent-bundle/src/agent/testing/apply-renewal-child.ts', import.meta.url).pathname;
const HOST = 'edge-0401.fleet.example';
const NOW = new Date('2026-03-02T06:00:00Z');
const pace = { retryIntervalMs: 50, sleep: (ms: number) => new Promise<void>((r) => setTimeout(r, Math.min(ms, 5))) };

interface Service { child: ChildProcess; port: number; output: string[]; certPath: string; keyPath: string; pidFile: string }

/** Starts the stand-in service with the device's current certificate and waits (bounded) until it listens. */
async function startService(dir: string, name: string, device: FixtureDevice, ignoreReload = false): Promise<Service> {
  const base = join(dir, name);
  mkdirSync(base, { recursive: true });
  const certPath = join(base, 'cert.pem');
  const keyPath = join(base, 'key.pem');
  const pidFile = join(base, 'service.pid');
  writeFileSync(certPath, device.certificatePem + device.chainPem);
  writeFileSync(keyPath, device.keyPem, { mode: 0o600 });
  const child = spawn(process.execPath, [SERVER, certPath, keyPath, pidFile, ...(ignoreReload ? ['--ignore-reload'] : [])], { stdio: ['ignore', 'pipe', 'inherit'] });
  const output: string[] = [];
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 5 s`)), 5000);
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n').filter(Boolean)) {
        output.push(line);
        const m = /^listening (\d+)$/.exec(line);
        if (m) { clearTimeout(timer); resolve(Number(m[1])); }
      }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`${name} exited with ${code}`)); });
  });
  return { child, port, output, certPath, keyPath, pidFile };
}

describe('service activation with a real TLS service that reloads on SIGHUP', () => {
  let fx: ConsoleFixture;
  let device: FixtureDevice;
  const states: AgentStateFixture[] = [];
  const services: Service[] = [];

  before(async () => {
    fx = await makeConsoleFixture();
    device = await fx.device(HOST);
  });
  after(() => {
    for (const s of services) s.child.kill('SIGTERM');
    for (const s of states) s.close();
    fx?.close();
  });

  async function agentWithRenewal(requestId: string) {
    const s = makeAgentState();
    states.push(s);
    await installCurrentCertificate(s.layout, { ...device, rootPem: fx.rootPem, at: NOW });
    const keyPem = fx.newKeyPem();
    await writePendingRenewal(s.layout, { requestId, host: HOST, keyPem, createdAt: NOW });
    const bundle = await fx.renewalFor(device, { pendingKeyPem: keyPem, requestId });
    const events: AgentEvent[] = [];
    const opts: ApplyOptions = { layout: s.layout, host: HOST, now: NOW, trustAnchors: fx.trustAnchors, log: (e) => events.push(e), activation: pace };
    return { s, bundle, opts, events, store: new GenerationStore(s.layout) };
  }

  const toActivation = (name: string, svc: Service, reload: ServiceActivation['reload']): ServiceActivation =>
    ({ name, certPath: svc.certPath, keyPath: svc.keyPath, reload, healthCheck: { host: '127.0.0.1', port: svc.port, timeoutMs: 2000 } });

  test('each service in turn gets the new certificate, reloads (signal, then command) and presents it', async () => {
    const { s, bundle, opts, events, store } = await agentWithRenewal('req-svc-ok');
    const a = await startService(s.dir, 'svc-a', device);
    const b = await startService(s.dir, 'svc-b', device);
    services.push(a, b);
    const list = [
      toActivation('svc-a', a, { signal: 'SIGHUP', pidFile: a.pidFile }),
      toActivation('svc-b', b, { command: [process.execPath, '-e', `process.kill(Number(require('fs').readFileSync(${JSON.stringify(b.pidFile)}, 'utf8')), 'SIGHUP')`] }),
    ];
    const out = await applyRenewalBundle(bundle, { ...opts, services: list });
    assert.equal(out.status, 'installed', JSON.stringify(out));
    const active = (await store.active())!;
    for (const svc of [a, b]) {
      const probe = await tlsProbe({ host: '127.0.0.1', port: svc.port, timeoutMs: 2000 });
      assert.ok(probe.ok);
      assert.equal(probe.fingerprintSha256, sha256Hex(active.certificateDer));
      assert.equal(readFileSync(svc.certPath, 'utf8'), readFileSync(active.certPath, 'utf8').trimEnd() + '\n' + readFileSync(active.chainPath, 'utf8'));
      assert.equal(statSync(svc.keyPath).mode & 0o777, 0o600);
    }
    // One service reloading at a time: a is healthy before b is reloaded.
    assert.deepEqual(events.filter((e) => e.event.startsWith('service.')).map((e) => `${e.event} ${e.service}`),
      ['service.reload svc-a', 'service.healthy svc-a', 'service.reload svc-b', 'service.healthy svc-b']);
  });

  test('a service that ignores the reload fails its health check: old files back, reloaded again, rotation rolled back', async () => {
    const { s, bundle, opts, events, store } = await agentWithRenewal('req-svc-bad');
    const good = await startService(s.dir, 'svc-good', device);
    const broken = await startService(s.dir, 'svc-broken', device, true);
    services.push(good, broken);
    const oldCert = readFileSync(broken.certPath, 'utf8');
    const oldKey = readFileSync(broken.keyPath, 'utf8');
    const before = (await store.active())!;
    const out = await applyRenewalBundle(bundle, { ...opts, services: [
      toActivation('svc-good', good, { signal: 'SIGHUP', pidFile: good.pidFile }),
      toActivation('svc-broken', broken, { signal: 'SIGHUP', pidFile: broken.pidFile }),
    ] });
    assert.equal(out.status, 'rolled-back', JSON.stringify(out));
    assert.equal((out as { code: string }).code, 'SERVICE_HEALTH_CHECK_FAILED');
    assert.match((out as { message: string }).message, /^Service 'svc-broken': health check on 127\.0\.0\.1:\d+ failed after 40 attempts: it still presents certificate [0-9a-f]{16}…, not the new [0-9a-f]{16}…; the previous certificate is active again \(restored in: svc-broken, svc-good\)$/);
    assert.equal((await store.active())!.generation, before.generation);
    assert.deepEqual(await store.list(), [before.generation], 'the failed generation is gone');
    for (const svc of [good, broken]) {
      assert.equal(readFileSync(svc.certPath, 'utf8'), oldCert);
      assert.equal(readFileSync(svc.keyPath, 'utf8'), oldKey);
      const probe = await tlsProbe({ host: '127.0.0.1', port: svc.port, timeoutMs: 2000 });
      assert.ok(probe.ok);
      assert.equal(probe.fingerprintSha256, before.fingerprintSha256, 'the service serves the old certificate');
    }
    // The broken service got the reload and the reload after the restore; the good one too.
    assert.deepEqual(broken.output.filter((l) => l.startsWith('ignored')), ['ignored 1', 'ignored 2']);
    assert.deepEqual(good.output.filter((l) => l.startsWith('reloaded')), ['reloaded 1', 'reloaded 2']);
    assert.ok(events.some((e) => e.event === 'rotation.rolled-back' && e.service === 'svc-broken'));
  });

  test('killed between two services\' reloads, then a failed health check on resume: every service is back on the old certificate bytes and the old generation is active', async () => {
    const requestId = 'req-svc-kill';
    const { s, bundle, opts, events, store } = await agentWithRenewal(requestId);
    const a = await startService(s.dir, 'svc-a', device);
    const b = await startService(s.dir, 'svc-b', device, true);
    services.push(a, b);
    const oldBytes = { cert: readFileSync(a.certPath), key: readFileSync(a.keyPath) };
    assert.deepEqual({ cert: readFileSync(b.certPath), key: readFileSync(b.keyPath) }, oldBytes);
    const before = (await store.active())!;
    const beforePointer = await store.pointer();

    // In the agent process, svc-a's reload signals svc-a and then SIGKILLs the agent (its parent): svc-a has the new files and reloaded, svc-b was never reached.
    const killingReload = { command: [process.execPath, '-e', `process.kill(Number(require('fs').readFileSync(${JSON.stringify(a.pidFile)}, 'utf8')), 'SIGHUP'); process.kill(process.ppid, 'SIGKILL')`] };
    const servicesFile = join(s.dir, 'services.json');
    writeFileSync(servicesFile, JSON.stringify([toActivation('svc-a', a, killingReload), toActivation('svc-b', b, { signal: 'SIGHUP', pidFile: b.pidFile })]));
    const anchors = join(s.dir, 'anchors.pem');
    writeFileSync(anchors, fx.rootPem);
    const child = join(s.dir, 'apply-renewal-child.mjs');
    await build({ entryPoints: [CHILD_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, logLevel: 'error' });
    const r = spawnSync(process.execPath, [child, s.layout.root, bundle, HOST, NOW.toISOString(), anchors, servicesFile], { encoding: 'utf8', timeout: 30_000 });
    assert.equal(r.signal, 'SIGKILL', `the agent was killed mid-activation (status ${r.status}, stdout ${r.stdout}, stderr ${r.stderr.slice(-500)})`);
    assert.equal((await readRotationState(s.layout)).journal?.step, 'switched');
    const newCertBytes = readFileSync(a.certPath);
    assert.notDeepEqual(newCertBytes, oldBytes.cert, 'svc-a holds the new certificate when the agent dies');
    assert.deepEqual(readFileSync(b.certPath), oldBytes.cert, 'svc-b was not reached');

    // Resume with svc-a reloading normally and svc-b ignoring its reload: svc-b's health check fails, the rotation rolls back.
    const out = await resumeRotation({ ...opts, services: [
      toActivation('svc-a', a, { signal: 'SIGHUP', pidFile: a.pidFile }),
      toActivation('svc-b', b, { signal: 'SIGHUP', pidFile: b.pidFile }),
    ] });
    assert.equal(out?.status, 'rolled-back', JSON.stringify(out));
    assert.equal((out as { code: string }).code, 'SERVICE_HEALTH_CHECK_FAILED');
    assert.match((out as { message: string }).message, /\(restored in: svc-b, svc-a\)$/);
    assert.deepEqual(await store.pointer(), beforePointer, 'the active pointer is the old generation again');
    assert.equal((await readRotationState(s.layout)).journal, null);
    for (const svc of [a, b]) {
      assert.deepEqual(readFileSync(svc.certPath), oldBytes.cert, 'the service\'s certificate file holds the old bytes');
      assert.deepEqual(readFileSync(svc.keyPath), oldBytes.key, 'the service\'s key file holds the old bytes');
      const probe = await tlsProbe({ host: '127.0.0.1', port: svc.port, timeoutMs: 2000 });
      assert.ok(probe.ok);
      assert.equal(probe.fingerprintSha256, before.fingerprintSha256, 'the service serves the old certificate');
    }
    assert.deepEqual(a.output.filter((l) => l.startsWith('reloaded')), ['reloaded 1', 'reloaded 2', 'reloaded 3'], 'svc-a: killed reload, resumed reload, restore');
    assert.ok(events.some((e) => e.event === 'service.restored' && e.service === 'svc-a'));

    // The device keeps a valid certificate: the old one, whole, valid now, its key matching; openssl agrees with its chain.
    const active = (await store.active())!;
    assert.equal(active.generation, before.generation);
    assert.ok(Date.parse(active.notBefore) <= NOW.getTime() && NOW.getTime() <= Date.parse(active.notAfter));
    const spki = createPublicKey(readFileSync(active.keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
    assert.deepEqual(new Uint8Array(spki), describeCertificate(active.certificateDer).spki);
    const v = openssl(['verify', '-attime', String(NOW.getTime() / 1000), '-CAfile', anchors, '-untrusted', active.chainPath, active.certPath]);
    assert.equal(v.code, 0, v.stderr + v.stdout);
  });
});
