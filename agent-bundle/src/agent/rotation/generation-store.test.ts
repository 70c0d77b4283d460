import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeConsoleFixture, type ConsoleFixture } from '../testing/console-fixture.js';
import { makeAgentState, type AgentStateFixture } from '../testing/agent-state-fixture.js';
import { generationIdFor, GenerationStore, type GenerationMaterial } from './generation-store.js';

describe('GenerationStore', () => {
  let fx: ConsoleFixture;
  const states: AgentStateFixture[] = [];
  let at: Date;

  before(async () => {
    fx = await makeConsoleFixture();
    at = fx.clock.now;
  });
  after(() => {
    for (const s of states) s.close();
    fx?.close();
  });

  async function material(validity?: string): Promise<GenerationMaterial & { serial: string }> {
    const keyPem = fx.newKeyPem();
    const c = await fx.issueFor(keyPem, { validity });
    return { certificatePem: c.certificatePem, keyPem, chainPem: c.chainPem, stagedAt: at, serial: c.serial.replace(/^0+/, ''), origin: { bundleId: 'b1', requestId: 'r1' } };
  }
  function store(): GenerationStore {
    const s = makeAgentState();
    states.push(s);
    return new GenerationStore(s.layout);
  }

  test('stage writes a whole generation named after the serial, key 0600, and staging it again changes nothing', async () => {
    const gs = store();
    const m = await material();
    const id = await gs.stage(m);
    assert.equal(id, generationIdFor(m.serial));
    const dir = gs.layout.generation(id);
    assert.deepEqual(readdirSync(dir).sort(), ['cert.pem', 'chain.pem', 'key.pem', 'meta.json']);
    assert.equal(statSync(join(dir, 'key.pem')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(gs.layout.generations), [id], 'no partial folder is left');
    const meta = (await gs.meta(id))!;
    assert.equal(meta.serial, m.serial);
    assert.equal(meta.bundleId, 'b1');
    assert.equal(await gs.stage({ ...m, keyPem: 'a different key' }), id);
    assert.equal(readFileSync(join(dir, 'key.pem'), 'utf8'), m.keyPem, 'a duplicate never rewrites the material');
    assert.equal(await gs.active(), null, 'staging does not activate');
  });

  test('switchTo keeps the old generation as previous, rollback and restore put the old pointer back', async () => {
    const gs = store();
    const a = await gs.installInitial(await material());
    const b = await gs.stage(await material());
    const p = await gs.switchTo(b, at);
    assert.deepEqual([p.generation, p.previous], [b, a]);
    assert.deepEqual(await gs.switchTo(b, at), p, 'switching to the active generation is a no-op');
    assert.equal((await gs.active())!.generation, b);
    assert.equal((await gs.previous())!.generation, a);
    assert.equal((await gs.rollback(at)).generation, a);
    assert.equal((await gs.active())!.generation, a);
    await gs.restore(p);
    assert.equal((await gs.active())!.generation, b);
    assert.equal(await gs.discard(b), false, 'the active generation is never discarded');
    assert.equal(await gs.discard(a), false, 'nor the previous one');
    await gs.restore(null);
    assert.equal(existsSync(gs.layout.active), false);
    await assert.rejects(gs.switchTo('cert-abc', at), { code: 'GENERATION_MISSING' });
  });

  test('prune removes old generations and partial folders, keeps active and previous, and keeps the last valid certificate', async () => {
    const gs = store();
    const longLived = await gs.installInitial(await material('365d'));
    const old = await gs.stage(await material('1d'));
    await gs.switchTo(old, at);
    const a = await gs.stage(await material('1d'));
    await gs.switchTo(a, at);
    const b = await gs.stage(await material('1d'));
    await gs.switchTo(b, at);
    mkdirSync(join(gs.layout.generations, '.cert-ff.partial'));
    writeFileSync(join(gs.layout.generations, '.cert-ff.partial', 'cert.pem'), 'half');
    // Active (b) and previous (a) are valid today: the 365-day one and `old` go.
    assert.deepEqual((await gs.prune(at)).sort(), [longLived, old].sort());
    assert.deepEqual(readdirSync(gs.layout.generations).sort(), [a, b].sort());

    const gs2 = store();
    const keep = await gs2.installInitial(await material('365d'));
    const x = await gs2.stage(await material('1d'));
    await gs2.switchTo(x, at);
    const y = await gs2.stage(await material('1d'));
    await gs2.switchTo(y, at);
    // Two days on, active and previous have expired: the one still valid is kept.
    const later = new Date(at.getTime() + 2 * 86_400_000);
    assert.deepEqual(await gs2.prune(later), []);
    assert.deepEqual((await gs2.list()).sort(), [keep, x, y].sort());
  });
});
