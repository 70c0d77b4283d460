import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { tailLog } from './log-tail.js';

const dir = mkdtempSync(join(tmpdir(), 'coldroot-tail-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('log tail', () => {
  test('a new file is read from its end; appended whole lines are read once; a partial line waits', async () => {
    const f = join(dir, 'a.log');
    writeFileSync(f, 'old 1\nold 2\n');
    const r0 = await tailLog(f, null);
    assert.deepEqual([r0.start, r0.lines, r0.cursor?.offset], ['first-sight', [], 12]);
    appendFileSync(f, 'new 1\nnew 2\nhalf');
    const r1 = await tailLog(f, r0.cursor);
    assert.deepEqual([r1.start, r1.lines], ['continued', ['new 1', 'new 2']]);
    appendFileSync(f, ' done\r\n');
    const r2 = await tailLog(f, r1.cursor);
    assert.deepEqual(r2.lines, ['half done']);
    const r3 = await tailLog(f, r2.cursor);
    assert.deepEqual(r3.lines, []);
  });

  test('rotation (new inode) restarts at 0 of the new file', async () => {
    const f = join(dir, 'b.log');
    writeFileSync(f, 'x\n');
    const r0 = await tailLog(f, null);
    renameSync(f, `${f}.1`);
    writeFileSync(f, 'after rotate 1\nafter rotate 2\n');
    const r1 = await tailLog(f, r0.cursor);
    assert.equal(r1.start, 'rotated');
    assert.deepEqual(r1.lines, ['after rotate 1', 'after rotate 2']);
    assert.notEqual(r1.cursor?.ino, r0.cursor?.ino);
  });

  test('truncation in place (copytruncate) restarts at 0', async () => {
    const f = join(dir, 'c.log');
    writeFileSync(f, 'a long first line\nanother long line\n');
    const r0 = await tailLog(f, null);
    truncateSync(f, 0);
    appendFileSync(f, 'fresh\n');
    const r1 = await tailLog(f, r0.cursor);
    assert.deepEqual([r1.start, r1.lines, r1.cursor?.offset], ['truncated', ['fresh'], 6]);
  });

  test('a missing file keeps its cursor; maxBytes bounds a read and the rest follows', async () => {
    const f = join(dir, 'd.log');
    const cursor = { dev: 1, ino: 2, offset: 3 };
    assert.deepEqual(await tailLog(f, cursor), { lines: [], cursor, start: 'missing', more: false });
    writeFileSync(f, 'one\ntwo\nthree\n');
    const r1 = await tailLog(f, null, { fromStart: true, maxBytes: 9 });
    assert.deepEqual([r1.lines, r1.more], [['one', 'two'], true]);
    const r2 = await tailLog(f, r1.cursor, { maxBytes: 9 });
    assert.deepEqual([r2.lines, r2.more], [['three'], false]);
  });
});
