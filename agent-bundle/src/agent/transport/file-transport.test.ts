import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTransport } from './file-transport.js';

test('file transport: send into the outbox, receive from the inbox, done moves to processed; a missing outbox is retryable', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-agent-transport-'));
  try {
    const outbox = join(dir, 'usb', 'outbox');
    const inbox = join(dir, 'usb', 'inbox');
    const t = new FileTransport(outbox, inbox);
    const bundle = join(dir, 'req.tar');
    writeFileSync(bundle, 'bundle bytes');
    await assert.rejects(t.send(bundle), (e: { code: string; kind: string; message: string }) =>
      e.code === 'TRANSPORT_UNAVAILABLE' && e.kind === 'failure' && e.message === `The outbox ${outbox} is not usable: ENOENT`);
    assert.deepEqual(await t.receive(), [], 'a missing inbox is simply empty');

    mkdirSync(outbox, { recursive: true });
    assert.equal(await t.send(bundle), join(outbox, 'req.tar'));
    assert.deepEqual(readdirSync(outbox), ['req.tar']);
    assert.equal(readFileSync(join(outbox, 'req.tar'), 'utf8'), 'bundle bytes');

    if (process.getuid?.() !== 0) {
      chmodSync(outbox, 0o500);
      await assert.rejects(t.send(bundle), { code: 'TRANSPORT_UNAVAILABLE' });
      chmodSync(outbox, 0o700);
    }

    mkdirSync(inbox, { recursive: true });
    writeFileSync(join(inbox, 'b.tar'), 'b');
    writeFileSync(join(inbox, 'a.tar'), 'a');
    writeFileSync(join(inbox, '.c.tar.partial'), 'half');
    assert.deepEqual(await t.receive(), [join(inbox, 'a.tar'), join(inbox, 'b.tar')]);
    assert.equal(await t.done(join(inbox, 'a.tar')), join(inbox, 'processed', 'a.tar'));
    writeFileSync(join(inbox, 'a.tar'), 'again');
    assert.equal(await t.done(join(inbox, 'a.tar')), join(inbox, 'processed', 'a.tar.1'), 'a second file of the same name never overwrites the first');
    assert.deepEqual(await t.receive(), [join(inbox, 'b.tar')]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
