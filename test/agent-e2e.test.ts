import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash, generateKeyPairSync } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { makeConsoleFixture, SECRET, type ConsoleFixture } from '../agent-bundle/src/agent/testing/console-fixture.js';
import { parseAgentConfig, type AgentConfigInput } from '../agent-bundle/src/agent/config/agent-config.js';
import { AgentLoop, type TickResult } from '../agent-bundle/src/agent/lifecycle/agent-loop.js';
import { readAgentState } from '../agent-bundle/src/agent/lifecycle/agent-state-file.js';
import { createAgentLogger } from '../agent-bundle/src/agent/observability/agent-logger.js';
import { GenerationStore } from '../agent-bundle/src/agent/rotation/generation-store.js';
import type { AgentEvent } from '../agent-bundle/src/agent/state/agent-event.js';
import { StateLayout } from '../agent-bundle/src/agent/state/state-layout.js';
import type { AgentInstruction } from '../core/bundles/payloads/renewal.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { addVendorRoots } from '../core/attestation/vendor-roots.js';
import { createSwtpmLocalCa, startSwtpm, swtpmAvailable } from './helpers/swtpm.js';
import { buildCsr } from '../core/x509/csr-builder.js';

/*
 * Console and agent in temporary folders, the USB stick played by copying files between the
 * agent's outbox/inbox and the console. The agent's clock is injected (tick(now)); the console's
 * is the fixture's clock, kept in step.
 */

const T0 = new Date('2026-03-02T00:00:00Z');
const DAY = 86_400_000;
const MIN = 60_000;
const at = (base: Date, ms: number) => new Date(base.getTime() + ms);

let fx: ConsoleFixture;

interface TestAgent {
  host: string;
  layout: StateLayout;
  events: AgentEvent[];
  loop: AgentLoop;
  configure(extra: Partial<AgentConfigInput>): AgentLoop;
}

/** An installed agent: trust anchors, a bootstrap credential issued now (device-bootstrap), no management certificate yet. */
async function installAgent(host: string, extra: Partial<AgentConfigInput> = {}, bootstrapValidity?: string): Promise<TestAgent> {
  const layout = new StateLayout(join(fx.dir, `agent-${host}`));
  mkdirSync(join(layout.root, 'trust'), { recursive: true });
  mkdirSync(layout.bootstrapDir, { recursive: true });
  writeFileSync(layout.trustAnchors, fx.rootPem);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const csr = await buildCsr(new SoftwareSigner(privateKey, 'ecdsa-p256', 'software:bootstrap'), `CN=${host}`);
  const issued = await fx.svc.issueCertificate({ caId: fx.deviceCa.id, secret: SECRET, profile: 'device-bootstrap', csr, ...(bootstrapValidity ? { validity: bootstrapValidity } : {}) });
  writeFileSync(layout.bootstrapCert, `${issued.certificatePem.trimEnd()}\n${fx.deviceCa.certificatePem!.trimEnd()}\n`);
  writeFileSync(layout.bootstrapKey, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600 });
  const events: AgentEvent[] = [];
  const fileLog = createAgentLogger(layout, { stdout: null });
  const agent: TestAgent = {
    host, layout, events, loop: null as unknown as AgentLoop,
    configure(more) {
      const config = parseAgentConfig({ host, stateDir: layout.root, ...extra, ...more }, 'test config');
      agent.loop = new AgentLoop({ config, layout, random: () => 0.5, log: (e) => { events.push(e); fileLog(e); } });
      return agent.loop;
    },
  };
  agent.configure({});
  await agent.loop.prepare();
  return agent;
}

const outboxFiles = (dir: string) => (existsSync(dir) ? readdirSync(dir).filter((n) => !n.startsWith('.')).map((n) => join(dir, n)) : []);

/** The operator's side: import the agent's request at `now`, answer it, and put the renewal in the agent's inbox. */
async function consoleAnswers(agent: TestAgent, requestFile: string, now: Date, instructions?: AgentInstruction[]): Promise<{ serial: string; notAfter: string; renewal: string }> {
  fx.clock.now = now;
  await fx.publishCrls();
  const [imported] = await fx.svc.importBundles([requestFile]);
  assert.equal(imported.status, 'accepted', JSON.stringify(imported));
  const out = await fx.svc.exportRenewalBundle({ out: join(fx.dir, `renewal-${createHash('sha256').update(requestFile).digest('hex').slice(0, 8)}.tar`), caId: fx.deviceCa.id, caSecret: SECRET, signerSecret: SECRET, requestBundle: imported.status === 'accepted' ? imported.bundleId : '', ...(instructions ? { instructions } : {}) });
  assert.equal(out.issued.length, 1, JSON.stringify(out.rejected));
  mkdirSync(agent.layout.inbox, { recursive: true });
  const inboxFile = join(agent.layout.inbox, `renewal-${out.bundleId}.tar`);
  copyFileSync(out.path, inboxFile);
  rmSync(requestFile);
  return { serial: out.issued[0].serial, notAfter: out.issued[0].notAfter, renewal: inboxFile };
}

/** First tick: a bootstrap-authenticated request; the console answers; the next tick installs. */
async function enrol(agent: TestAgent, now: Date): Promise<{ serial: string; notAfter: Date }> {
  const r = await agent.loop.tick(now);
  assert.equal(r.certificate.state, 'missing');
  assert.equal(r.request?.proofKind, 'bootstrap-certificate', JSON.stringify(agent.events));
  const [req] = outboxFiles(agent.layout.outbox);
  const answer = await consoleAnswers(agent, req, now);
  const r2 = await agent.loop.tick(at(now, MIN));
  assert.deepEqual(r2.applied.map((a) => a.outcome), ['installed'], JSON.stringify(r2.applied));
  assert.equal(r2.certificate.state, 'valid');
  return { serial: answer.serial, notAfter: new Date(answer.notAfter) };
}

const TLS_SERVER = `
import tls from 'node:tls';
import fs from 'node:fs';
const [certPath, keyPath, pidFile] = process.argv.slice(2);
const load = () => ({ cert: fs.readFileSync(certPath), key: fs.readFileSync(keyPath) });
const server = tls.createServer(load(), (s) => s.end('ok\\n'));
server.on('tlsClientError', () => {});
process.on('SIGHUP', () => {
  try { server.setSecureContext(load()); process.stdout.write('reloaded\\n'); } catch (e) { process.stderr.write('reload failed: ' + e.message + '\\n'); }
});
server.listen(0, '127.0.0.1', () => {
  fs.writeFileSync(pidFile, String(process.pid));
  process.stdout.write(JSON.stringify({ port: server.address().port }) + '\\n');
});
`;

function handshake(port: number): Promise<{ ok: true; fingerprint: string } | { ok: false; error: string }> {
  return new Promise((resolve) => {
    // Node's chain check uses the wall clock; the test's clock is injected, so the presented certificate is compared by fingerprint instead.
    const s = connect({ host: '127.0.0.1', port, servername: 'web-01.fleet.example', rejectUnauthorized: false }, () => {
      const fp = createHash('sha256').update(s.getPeerCertificate().raw).digest('hex');
      s.destroy();
      resolve({ ok: true, fingerprint: fp });
    });
    s.setTimeout(5000, () => { s.destroy(); resolve({ ok: false, error: 'timeout' }); });
    s.on('error', (e) => resolve({ ok: false, error: e.message }));
  });
}

function openssl(args: string[]): string {
  return execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

describe('agent lifecycle end to end', () => {
  let server: ChildProcess | null = null;
  // A console per test: each test moves the console's clock through its own year or two.
  beforeEach(async () => {
    fx = await makeConsoleFixture('coldroot-agent-e2e-', T0);
  });
  afterEach(() => {
    server?.kill('SIGKILL');
    server = null;
    fx.close();
  });

  test('enrols with its bootstrap credential, does nothing at 31 days, renews at 30 while a TLS service keeps serving', async (t) => {
    const agent = await installAgent('web-01.fleet.example');
    const first = await enrol(agent, T0);
    const active1 = (await new GenerationStore(agent.layout).active())!;
    assert.equal(active1.serial, first.serial);
    assert.equal(Math.round((first.notAfter.getTime() - Date.parse(active1.notBefore)) / DAY), 365);

    // A TLS service using the management certificate, reloaded by SIGHUP through its pid file.
    const svcDir = join(fx.dir, 'tls-service');
    mkdirSync(svcDir);
    const certPath = join(svcDir, 'cert.pem');
    const keyPath = join(svcDir, 'key.pem');
    const pidFile = join(svcDir, 'server.pid');
    writeFileSync(certPath, `${readFileSync(active1.certPath, 'utf8').trimEnd()}\n${readFileSync(active1.chainPath, 'utf8')}`);
    writeFileSync(keyPath, readFileSync(active1.keyPath), { mode: 0o600 });
    writeFileSync(join(svcDir, 'server.mjs'), TLS_SERVER);
    server = spawn(process.execPath, [join(svcDir, 'server.mjs'), certPath, keyPath, pidFile], { stdio: ['ignore', 'pipe', 'inherit'] });
    const [line] = await once(server.stdout!, 'data') as [Buffer];
    const port = (JSON.parse(line.toString().split('\n')[0]) as { port: number }).port;
    const loop = agent.configure({ services: [{ name: 'tls-test', certPath, keyPath, reload: { signal: 'SIGHUP', pidFile }, healthCheck: { host: '127.0.0.1', port, servername: agent.host, timeoutMs: 5000 } }] });

    const day31 = at(first.notAfter, -31 * DAY);
    const quiet = await loop.tick(day31);
    assert.equal(quiet.certificate.state, 'valid');
    assert.equal(quiet.certificate.daysLeft, 31);
    assert.equal(quiet.request, null);
    assert.deepEqual(outboxFiles(agent.layout.outbox), []);

    const day30 = at(first.notAfter, -30 * DAY);
    const due = await loop.tick(day30);
    assert.equal(due.certificate.state, 'expiring');
    assert.equal(due.request?.proofKind, 'current-certificate');
    assert.equal(due.request?.sent, true);
    const [req] = outboxFiles(agent.layout.outbox);
    assert.match(req, /renewal-request-web-01\.fleet\.example-.*\.tar$/);
    // The new key waits in pending/<id>/key.pem, readable by the agent only.
    assert.equal(statSync(join(agent.layout.pending(due.request!.requestId), 'key.pem')).mode & 0o777, 0o600);
    // Idempotent: while the request is in flight, later ticks make no second one.
    assert.equal((await loop.tick(at(day30, 3600_000))).request, null);
    assert.equal(outboxFiles(agent.layout.outbox).length, 1);

    const answer = await consoleAnswers(agent, req, at(day30, 2 * 3600_000));

    // Clients handshake in a loop while the agent installs the new certificate and reloads the service.
    const oldFp = active1.fingerprintSha256;
    let swapDone = false;
    let afterSwap = 0;
    const seen: string[] = [];
    const failures: string[] = [];
    const clients = (async () => {
      for (let i = 0; i < 20_000 && (!swapDone || afterSwap < 50); i++) {
        const h = await handshake(port);
        if (h.ok) seen.push(h.fingerprint); else failures.push(h.error);
        if (swapDone) afterSwap++;
      }
    })();
    let installed: TickResult;
    try {
      installed = await loop.tick(at(day30, 3 * 3600_000));
    } finally {
      swapDone = true;
    }
    await clients;
    assert.deepEqual(installed.applied.map((a) => a.outcome), ['installed'], JSON.stringify(installed.applied));
    assert.deepEqual(failures, []);
    t.diagnostic(`${seen.length} handshakes during the rotation, ${afterSwap} after it, 0 failed`);
    const active2 = (await new GenerationStore(agent.layout).active())!;
    assert.equal(active2.serial, answer.serial);
    assert.notEqual(active2.fingerprintSha256, oldFp);
    assert.ok(seen.length >= 50);
    assert.ok(seen.every((f) => f === oldFp || f === active2.fingerprintSha256), 'only the old or the new certificate is ever presented');
    assert.deepEqual(seen.slice(-50), Array(50).fill(active2.fingerprintSha256), 'clients see the new certificate after the swap');
    assert.equal(installed.certificate.state, 'valid');
    assert.equal(installed.renewal.status, 'idle');

    // 365 days from issuance, checked with openssl: end date, -checkend at the injected time, and the chain.
    const notAfter = new Date(openssl(['x509', '-in', active2.certPath, '-noout', '-enddate']).trim().replace(/^notAfter=/, ''));
    assert.equal(Math.round((notAfter.getTime() - Date.parse(active2.notBefore)) / DAY), 365);
    assert.ok(Math.abs(notAfter.getTime() - (at(day30, 2 * 3600_000).getTime() + 365 * DAY)) <= 1000, 'valid 365 days from its issuance');
    assert.equal(notAfter.toISOString(), answer.notAfter);
    const secondsFromNowToEnd = Math.floor((notAfter.getTime() - Date.now()) / 1000);
    openssl(['x509', '-in', active2.certPath, '-noout', '-checkend', String(secondsFromNowToEnd - 60)]);
    assert.throws(() => openssl(['x509', '-in', active2.certPath, '-noout', '-checkend', String(secondsFromNowToEnd + 60)]));
    const verify = openssl(['verify', '-attime', String(Math.floor(at(day30, 4 * 3600_000).getTime() / 1000)), '-CAfile', agent.layout.trustAnchors, '-untrusted', active2.chainPath, '-purpose', 'sslserver', active2.certPath]);
    assert.match(verify, /: OK/);
    // The service files now hold the new certificate.
    assert.equal(createHash('sha256').update(readFileSync(certPath, 'utf8')).digest('hex') !== createHash('sha256').update(readFileSync(active1.certPath, 'utf8')).digest('hex'), true);

    const state = await readAgentState(agent.layout);
    assert.deepEqual(state.counters, { attempts: 2, successes: 2, failures: 0 });
    const prom = readFileSync(agent.layout.promFile, 'utf8');
    assert.match(prom, new RegExp(`coldroot_agent_certificate_expiry_timestamp_seconds\\{host="web-01.fleet.example"\\} ${notAfter.getTime() / 1000}\\n`));
    assert.match(prom, /coldroot_agent_renewal_successes_total\{host="web-01.fleet.example"\} 2\n/);
    assert.match(prom, /coldroot_agent_renewal_last_success_timestamp_seconds\{host="web-01.fleet.example"\} \d{10}\n/);
    assert.match(prom, /coldroot_agent_clock_skew\{host="web-01.fleet.example"\} 0\n/);
    const logLines = readFileSync(agent.layout.logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as AgentEvent);
    assert.ok(['renewal-requested', 'renewal-request-sent', 'renewal-succeeded'].every((e) => logLines.some((l) => l.event === e)));
    assert.ok(existsSync(join(agent.layout.inbox, 'processed')));
  });

  test('transport down: the request is kept and retried with backoff, the certificate is untouched', async () => {
    const agent = await installAgent('web-02.fleet.example');
    const first = await enrol(agent, T0);
    const usb = join(fx.dir, 'usb-web-02');
    const loop = agent.configure({ transport: { kind: 'file', outbox: join(usb, 'outbox'), inbox: join(usb, 'inbox') } });
    const day30 = at(first.notAfter, -30 * DAY);

    const down = await loop.tick(day30);
    assert.equal(down.request?.sent, false);
    assert.equal(down.renewal.status, 'backoff');
    assert.equal(down.renewal.failures, 1);
    assert.equal(down.renewal.lastError?.code, 'TRANSPORT_UNAVAILABLE');
    assert.equal(down.renewal.nextAttemptAt, at(day30, 60_000).toISOString(), 'initial delay 60 s (jitter source 0.5)');
    assert.equal((await new GenerationStore(agent.layout).active())!.serial, first.serial);

    assert.equal((await loop.tick(at(day30, 30_000))).request, null, 'no attempt before the backoff ends');
    const second = await loop.tick(at(day30, 61_000));
    assert.equal(second.request?.sent, false);
    assert.equal(second.request?.requestId, down.request?.requestId, 'the same request is sent again, not a new one');
    assert.equal(second.renewal.nextAttemptAt, at(day30, 61_000 + 120_000).toISOString(), 'the delay doubles');

    mkdirSync(join(usb, 'outbox'), { recursive: true });
    const sent = await loop.tick(at(day30, 61_000 + 120_000));
    assert.equal(sent.request?.sent, true);
    assert.equal(sent.request?.requestId, down.request?.requestId);
    assert.equal(sent.renewal.status, 'pending');
    assert.equal(outboxFiles(join(usb, 'outbox')).length, 1);
    const state = await readAgentState(agent.layout);
    assert.deepEqual(state.counters, { attempts: 4, successes: 1, failures: 2 });
    assert.match(readFileSync(agent.layout.promFile, 'utf8'), /coldroot_agent_renewal_failures_total\{host="web-02.fleet.example"\} 2\n/);
    assert.equal((await new GenerationStore(agent.layout).active())!.serial, first.serial);
  });

  test('clock skew: a clock before the certificate is reported and nothing else happens', async () => {
    const agent = await installAgent('web-03.fleet.example');
    const first = await enrol(agent, T0);
    const skewed = await agent.loop.tick(at(T0, -2 * DAY));
    assert.equal(skewed.clockSkew?.reason, 'before-certificate-not-before');
    assert.equal(skewed.request, null);
    assert.deepEqual(outboxFiles(agent.layout.outbox), []);
    assert.match(readFileSync(agent.layout.promFile, 'utf8'), /coldroot_agent_clock_skew\{host="web-03.fleet.example"\} 1\n/);
    assert.ok(agent.events.some((e) => e.event === 'clock-skew' && e.level === 'error'));

    // A clock before the newest bundle seen (the renewal that enrolled it) but after notBefore is skew too, even when renewal would be due.
    const late = at(first.notAfter, -10 * DAY);
    writeFileSync(agent.layout.rotationState, JSON.stringify({ journal: null, applied: [], newestBundleCreatedAt: at(late, DAY).toISOString() }));
    const behind = await agent.loop.tick(late);
    assert.equal(behind.clockSkew?.reason, 'before-newest-bundle');
    assert.equal(behind.request, null);
    assert.deepEqual(outboxFiles(agent.layout.outbox), []);
    const state = await readAgentState(agent.layout);
    assert.equal(state.clockSkew?.reason, 'before-newest-bundle');
    assert.equal(state.counters.attempts, 1);
  });

  test('an expired management certificate is recovered with the bootstrap credential; the answer switches on investigation mode', async () => {
    const agent = await installAgent('web-04.fleet.example');
    const first = await enrol(agent, T0);

    // An operator asks for a new key on a valid certificate (request-renewal): once, however often asked.
    const early = at(first.notAfter, -100 * DAY);
    const manual = await agent.loop.requestNow(early, 'key-rotation');
    assert.equal(manual?.proofKind, 'current-certificate');
    assert.equal(await agent.loop.requestNow(at(early, MIN), 'key-rotation'), null);
    assert.equal((await agent.loop.tick(at(early, 3600_000))).renewal.status, 'pending', 'a request in flight survives a tick with nothing due');
    assert.equal(outboxFiles(agent.layout.outbox).length, 1);
    rmSync(outboxFiles(agent.layout.outbox)[0]); // the stick with it is lost: no answer ever comes

    // Expired with that request still out: its proof no longer holds, so the bootstrap credential asks at once.
    const expired = at(first.notAfter, 2 * DAY);
    const r = await agent.loop.tick(expired);
    assert.equal(r.certificate.state, 'expired');
    assert.equal(r.request?.proofKind, 'bootstrap-certificate');
    assert.notEqual(r.request?.requestId, manual?.requestId);
    assert.ok(agent.events.some((e) => e.event === 'renewal-request-superseded' && e.requestId === manual?.requestId));
    const [req] = outboxFiles(agent.layout.outbox);
    const request = JSON.parse(readFileSync(join(agent.layout.pending(r.request!.requestId), 'request.json'), 'utf8')) as { reason: string };
    assert.equal(request.reason, 'bootstrap');
    // The console's own bundle-signing certificate lasts a year too: the operator makes a new one.
    fx.clock.now = expired;
    await fx.useBundleSignerFrom(fx.deviceCa.id);
    const until = at(expired, 3 * DAY).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const answer = await consoleAnswers(agent, req, expired, [{ host: agent.host, investigation: { until, collectIntervalSeconds: 30, logExcerpts: true, reason: 'handshake failures from new networks' } }]);
    const done = await agent.loop.tick(at(expired, MIN));
    assert.deepEqual(done.applied.map((a) => a.outcome), ['installed']);
    assert.equal(done.certificate.state, 'valid');
    assert.equal((await new GenerationStore(agent.layout).active())!.serial, answer.serial);

    // Investigation mode: persisted, shortens the collection schedule until its end, then ends by itself.
    const state = await readAgentState(agent.layout);
    assert.equal(state.investigation?.until, until);
    assert.deepEqual(agent.loop.collectSchedule(state, at(expired, DAY)), { intervalSeconds: 30, logExcerpts: true, investigation: true });
    assert.deepEqual(agent.loop.collectSchedule(state, at(expired, 4 * DAY)), { intervalSeconds: 300, logExcerpts: false, investigation: false });
    assert.match(readFileSync(agent.layout.promFile, 'utf8'), /coldroot_agent_investigation_mode\{host="web-04.fleet.example"\} 1\n/);
    await agent.loop.tick(at(expired, 4 * DAY));
    assert.equal((await readAgentState(agent.layout)).investigation, null);
    assert.ok(agent.events.some((e) => e.event === 'investigation-ended'));
  });
});

const swtpm = swtpmAvailable();

describe('TPM recovery through the agent (swtpm)', { skip: swtpm.ok ? false : swtpm.reason }, () => {
  test('with management and bootstrap certificates expired, the agent proves itself with a TPM quote over the console nonce', async () => {
    // swtpm's local CA dates the EK certificate with the wall clock: the injected clock starts the next UTC midnight but one.
    const start = new Date((Math.floor(Date.now() / DAY) + 2) * DAY);
    fx = await makeConsoleFixture('coldroot-agent-tpm-', start);
    const vendor = createSwtpmLocalCa();
    const tpm = await startSwtpm({ ca: vendor });
    try {
      writeFileSync(join(fx.dir, 'vendor.pem'), vendor.vendorCertificatesPem());
      addVendorRoots(fx.svc.ctx, join(fx.dir, 'vendor.pem'));
      const agent = await installAgent('edge-01.fleet.example', { tpm: { enabled: true, tcti: tpm.tcti } }, '200d');
      // Enrolment (bootstrap proof) also enrols the TPM; the answer carries a nonce for a later recovery.
      await enrol(agent, start);
      const nonce = (await readAgentState(agent.layout)).attestationNonce;
      assert.match(nonce ?? '', /^[0-9a-f]{64}$/);

      const late = at(start, 370 * DAY);
      const r = await agent.loop.tick(late);
      assert.equal(r.certificate.state, 'expired');
      assert.equal(r.request?.proofKind, 'tpm-attestation', JSON.stringify(agent.events.slice(-3)));
      const [req] = outboxFiles(agent.layout.outbox);
      fx.clock.now = late;
      await fx.useBundleSignerFrom(fx.deviceCa.id);
      const answer = await consoleAnswers(agent, req, late);
      const done = await agent.loop.tick(at(late, MIN));
      assert.deepEqual(done.applied.map((a) => a.outcome), ['installed'], JSON.stringify(done.applied));
      assert.equal(done.certificate.state, 'valid');
      assert.equal((await new GenerationStore(agent.layout).active())!.serial, answer.serial);
      assert.notEqual((await readAgentState(agent.layout)).attestationNonce, nonce, 'the answer brought a fresh nonce');
    } finally {
      await tpm.cleanup();
      vendor.cleanup();
      fx.close();
    }
  });
});
