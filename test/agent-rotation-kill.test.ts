import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createPublicKey } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { describeCertificate } from '../core/x509/certificate-info.js';
import { applyRenewalBundle, readRotationState, resumeRotation, type ApplyOptions } from '../agent-bundle/src/agent/rotation/apply-renewal.js';
import { GenerationStore } from '../agent-bundle/src/agent/rotation/generation-store.js';
import { ROTATION_STEPS } from '../agent-bundle/src/agent/state/rotation-state.js';
import { installCurrentCertificate, makeAgentState, writePendingRenewal, type AgentStateFixture } from '../agent-bundle/src/agent/testing/agent-state-fixture.js';
import { makeConsoleFixture, type ConsoleFixture, type FixtureDevice } from '../agent-bundle/src/agent/testing/console-fixture.js';
import { openssl } from './helpers/openssl.js';

const CHILD_SOURCE = new URL('../agent-bundle/src/agent/testing/apply-renewal-child.ts', import.meta.url).pathname;
let child = '';
const HOST = 'edge-0501.fleet.example';
const NOW = new Date('2026-03-02T06:00:00Z');
const REQUEST = 'req-kill';

function runChild(args: string[], env: Record<string, string>): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [child, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    proc.stdout.setEncoding('utf8').on('data', (d: string) => { stdout += d; });
    proc.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    const timer = setTimeout(() => { proc.kill('SIGKILL'); reject(new Error(`child did not finish within 30 s: ${stderr}`)); }, 30_000);
    proc.on('exit', (code, signal) => { clearTimeout(timer); resolve({ code, signal, stdout, stderr }); });
  });
}

describe('SIGKILL after every rotation step', () => {
  let fx: ConsoleFixture;
  let device: FixtureDevice;
  let keyPem: string;
  let bundle: string;
  let newSerial: string;
  let anchors: string;
  const states: AgentStateFixture[] = [];

  before(async () => {
    fx = await makeConsoleFixture();
    device = await fx.device(HOST);
    keyPem = fx.newKeyPem();
    const r = await fx.renewalDetailsFor(device, { pendingKeyPem: keyPem, requestId: REQUEST });
    bundle = r.path;
    newSerial = r.issued[0].serial.replace(/^0+/, '');
    anchors = join(fx.dir, 'anchors.pem');
    // The agent runs as one esbuild file; so does the child (and it starts in a fraction of tsx's time).
    child = join(fx.dir, 'apply-renewal-child.mjs');
    await build({ entryPoints: [CHILD_SOURCE], bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: child, logLevel: 'error' });
    writeFileSync(anchors, fx.rootPem);
  });
  after(() => {
    for (const s of states) s.close();
    fx?.close();
  });

  /** The device can work: the active generation is whole, valid now, and its key matches its certificate. */
  async function assertUsable(store: GenerationStore): Promise<string> {
    const active = await store.active();
    assert.ok(active, 'there is an active certificate');
    assert.ok(Date.parse(active.notBefore) <= NOW.getTime() && NOW.getTime() <= Date.parse(active.notAfter), 'it is valid now');
    const spki = createPublicKey(readFileSync(active.keyPath, 'utf8')).export({ type: 'spki', format: 'der' });
    assert.deepEqual(new Uint8Array(spki), describeCertificate(active.certificateDer).spki, 'its key matches');
    return active.serial;
  }

  for (const step of ROTATION_STEPS) {
    test(`killed after '${step}': the device keeps a valid certificate, resume + retry install the new one, a repeat is a duplicate`, async () => {
      const s = makeAgentState();
      states.push(s);
      await installCurrentCertificate(s.layout, { ...device, rootPem: fx.rootPem, at: NOW });
      await writePendingRenewal(s.layout, { requestId: REQUEST, host: HOST, keyPem, createdAt: NOW });
      const store = new GenerationStore(s.layout);
      const oldSerial = (await store.active())!.serial;

      const r = await runChild([s.layout.root, bundle, HOST, NOW.toISOString(), anchors], { COLDROOT_AGENT_CRASH_AFTER: step });
      assert.equal(r.signal, 'SIGKILL', `the child was killed (code ${r.code}, stdout ${r.stdout}, stderr ${r.stderr.slice(-500)})`);
      assert.equal((await readRotationState(s.layout)).journal?.step, step, 'the journal holds the step it died after');
      const afterKill = await assertUsable(store);
      assert.ok([oldSerial, newSerial].includes(afterKill));

      const opts: ApplyOptions = { layout: s.layout, host: HOST, now: NOW, trustAnchors: fx.trustAnchors };
      const resumed = await resumeRotation(opts);
      const switched = ROTATION_STEPS.indexOf(step) >= ROTATION_STEPS.indexOf('switched');
      assert.equal(resumed?.status, switched ? 'installed' : 'rolled-back', JSON.stringify(resumed));
      assert.equal(await assertUsable(store), switched ? newSerial : oldSerial);
      assert.equal((await readRotationState(s.layout)).journal, null);

      const retry = await applyRenewalBundle(bundle, opts);
      assert.equal(retry.status, switched ? 'duplicate' : 'installed', JSON.stringify(retry));
      assert.equal(await assertUsable(store), newSerial);
      assert.equal((await store.previous())!.serial, oldSerial, 'the old generation is kept as previous');
      assert.equal(existsSync(s.layout.pending(REQUEST)), false);
      assert.deepEqual(readdirSync(s.layout.generations).filter((n) => n.startsWith('.')), [], 'no partial generation');
      assert.equal((await applyRenewalBundle(bundle, opts)).status, 'duplicate');

      if (step === 'confirmed') {
        // openssl agrees: the installed certificate chains to the root through chain.pem, and no shipped CRL revokes it.
        const dir = s.layout.generation((await store.active())!.generation);
        const crls = readdirSync(join(dir, 'crls')).flatMap((n) => ['-CRLfile', join(dir, 'crls', n)]);
        const v = openssl(['verify', '-attime', String(NOW.getTime() / 1000), '-crl_check_all', ...crls, '-CAfile', anchors, '-untrusted', join(dir, 'chain.pem'), join(dir, 'cert.pem')]);
        assert.equal(v.code, 0, v.stderr + v.stdout);
        assert.match(v.stdout, /cert\.pem: OK/);
      }
    });
  }

  test('without a crash the child installs the new certificate in one go', async () => {
    const s = makeAgentState();
    states.push(s);
    await installCurrentCertificate(s.layout, { ...device, rootPem: fx.rootPem, at: NOW });
    await writePendingRenewal(s.layout, { requestId: REQUEST, host: HOST, keyPem, createdAt: NOW });
    const r = await runChild([s.layout.root, bundle, HOST, NOW.toISOString(), anchors], {});
    assert.equal(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as { status: string; serial: string };
    assert.deepEqual([out.status, out.serial], ['installed', newSerial]);
  });
});
