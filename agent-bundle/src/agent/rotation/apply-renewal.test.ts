import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { DurableFs } from '../state/atomic-file.js';
import { makeConsoleFixture, type ConsoleFixture, type FixtureDevice } from '../testing/console-fixture.js';
import { installCurrentCertificate, makeAgentState, writePendingRenewal, type AgentStateFixture } from '../testing/agent-state-fixture.js';
import { applyRenewalBundle, readRotationState, type ApplyOptions } from './apply-renewal.js';
import { GenerationStore } from './generation-store.js';

const HOST = 'edge-0101.fleet.example';
const NOW = new Date('2026-03-02T06:00:00Z');

describe('applyRenewalBundle', () => {
  let fx: ConsoleFixture;
  let device: FixtureDevice;
  const states: AgentStateFixture[] = [];

  before(async () => {
    fx = await makeConsoleFixture();
    device = await fx.device(HOST);
  });
  after(() => {
    for (const s of states) s.close();
    fx?.close();
  });

  async function agent(): Promise<{ s: AgentStateFixture; opts: ApplyOptions; store: GenerationStore }> {
    const s = makeAgentState();
    states.push(s);
    await installCurrentCertificate(s.layout, { ...device, rootPem: fx.rootPem, at: NOW });
    return { s, opts: { layout: s.layout, host: HOST, now: NOW, trustAnchors: fx.trustAnchors }, store: new GenerationStore(s.layout) };
  }

  async function pendingRenewal(s: AgentStateFixture, requestId: string, extra: Partial<Parameters<ConsoleFixture['renewalFor']>[1]> = {}) {
    const keyPem = fx.newKeyPem();
    await writePendingRenewal(s.layout, { requestId, host: HOST, keyPem, createdAt: NOW });
    return fx.renewalDetailsFor(device, { pendingKeyPem: keyPem, requestId, ...extra });
  }

  test('installs the renewed certificate, keeps the old one as previous, and a second apply is a duplicate', async () => {
    const { s, opts, store } = await agent();
    const old = (await store.active())!;
    const instruction = { host: HOST, investigation: { until: '2026-03-09T00:00:00Z', collectIntervalSeconds: 60, logExcerpts: true, reason: 'handshake failures' } };
    const r = await pendingRenewal(s, 'req-1', { instructions: [instruction] });
    const out = await applyRenewalBundle(r.path, opts);
    assert.equal(out.status, 'installed', JSON.stringify(out));
    assert.ok(out.status === 'installed');
    assert.equal(out.serial, r.issued[0].serial.replace(/^0+/, ''));
    assert.deepEqual(out.instruction, instruction);
    const active = (await store.active())!;
    assert.equal(active.serial, out.serial);
    assert.equal((await store.previous())!.serial, old.serial);
    assert.equal(statSync(active.keyPath).mode & 0o777, 0o600);
    assert.ok(existsSync(join(s.layout.generation(active.generation), 'renewal.json')));
    assert.ok(existsSync(join(s.layout.generation(active.generation), 'ocsp.der')));
    assert.ok(readdirSync(join(s.layout.generation(active.generation), 'crls')).length >= 1);
    assert.equal(existsSync(s.layout.pending('req-1')), false, 'the pending request is done');
    const rs = await readRotationState(s.layout);
    assert.equal(rs.journal, null);
    assert.equal(rs.newestBundleCreatedAt, fx.clock.now.toISOString());
    assert.deepEqual(await applyRenewalBundle(r.path, opts), { status: 'duplicate', generation: active.generation });
  });

  test('an older bundle after a newer one is stale, and a bundle for another host is not for us', async () => {
    const { s, opts, store } = await agent();
    const first = await pendingRenewal(s, 'req-old');
    fx.clock.now = new Date(fx.clock.now.getTime() + 3600_000);
    const second = await pendingRenewal(s, 'req-new');
    assert.equal((await applyRenewalBundle(second.path, opts)).status, 'installed');
    const active = (await store.active())!.generation;
    const stale = await applyRenewalBundle(first.path, opts);
    assert.equal(stale.status, 'stale');
    assert.match((stale as { reason: string }).reason, /before the newest bundle already installed/);
    assert.equal((await store.active())!.generation, active);

    const other = await fx.device('edge-0102.fleet.example');
    const foreignReq = await fx.renewalFor(other, { pendingKeyPem: fx.newKeyPem(), requestId: 'req-other' });
    const nfu = await applyRenewalBundle(foreignReq, opts);
    assert.equal(nfu.status, 'not-for-us');
    assert.match((nfu as { reason: string }).reason, /issues nothing for host edge-0101\.fleet\.example \(it answers edge-0102\.fleet\.example\)/);
  });

  test('a bundle answering a request that is no longer pending is stale', async () => {
    const { s, opts } = await agent();
    const r = await pendingRenewal(s, 'req-gone');
    await rm(s.layout.pending('req-gone'), { recursive: true });
    const out = await applyRenewalBundle(r.path, opts);
    assert.deepEqual(out, { status: 'stale', reason: `Bundle ${r.bundleId} answers request req-gone, which is no longer pending on this device` });
  });

  test('a certificate from a new intermediate, in a bundle signed by a signer of that intermediate, is accepted', async () => {
    const { s, opts, store } = await agent();
    const ca2 = await fx.newIntermediate();
    await fx.useBundleSignerFrom(ca2.id);
    const r = await pendingRenewal(s, 'req-ca2', { caId: ca2.id });
    const out = await applyRenewalBundle(r.path, opts);
    assert.equal(out.status, 'installed', JSON.stringify(out));
    assert.match(readdirSync(join(s.layout.generation((await store.active())!.generation), 'crls')).join(','), new RegExp(ca2.id));
    await fx.useBundleSignerFrom(fx.deviceCa.id);
  });

  test('a bundle whose signer chains to an unknown root is rejected and changes nothing', async () => {
    const { s, opts, store } = await agent();
    const before = (await store.active())!.generation;
    const r = await pendingRenewal(s, 'req-foreign');
    const out = await applyRenewalBundle(r.path, { ...opts, trustAnchors: [await fx.foreignRoot()] });
    assert.equal(out.status, 'rejected');
    assert.equal((out as { code: string }).code, 'RENEWAL_SIGNER_UNTRUSTED');
    assert.match((out as { message: string }).message, /does not chain to this agent's trust anchors: BAD_SIGNATURE: certificate 'CN=Bundle Test Device CA, O=Coldroot Tests' is not validly signed by 'CN=Bundle Test Root CA/);
    assert.equal((await store.active())!.generation, before);
    assert.ok(existsSync(s.layout.pending('req-foreign')), 'the request stays pending');
  });

  test('ENOSPC while staging: the old certificate stays active, no partial generation is left, the retry succeeds', async () => {
    const { s, opts, store } = await agent();
    const before = (await store.active())!;
    const r = await pendingRenewal(s, 'req-full');
    let failures = 0;
    const full: DurableFs = {
      rename, rm,
      open: (async (...args: Parameters<typeof open>) => {
        const h = await open(...args);
        if (String(args[0]).includes('.partial') && String(args[0]).endsWith('.tmp') && String(args[0]).includes('cert.pem')) {
          h.writeFile = async () => { failures++; throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); };
        }
        return h;
      }) as typeof open,
    };
    const out = await applyRenewalBundle(r.path, { ...opts, fs: full });
    assert.equal(failures, 1);
    assert.equal(out.status, 'failed');
    assert.equal((out as { code: string }).code, 'ROTATION_WRITE_FAILED');
    assert.match((out as { message: string }).message, /\(ENOSPC\).*the active certificate is unchanged/);
    assert.equal((await store.active())!.serial, before.serial);
    assert.deepEqual(readdirSync(s.layout.generations), [before.generation]);
    assert.equal((await readRotationState(s.layout)).journal, null);
    const retry = await applyRenewalBundle(r.path, opts);
    assert.equal(retry.status, 'installed');
  });
});
