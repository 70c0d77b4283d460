import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeFileAtomic, type DurableFs } from './atomic-file.js';

test('writeFileAtomic replaces the file with the given mode and leaves no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-atomic-'));
  try {
    const p = join(dir, 'key.pem');
    writeFileSync(p, 'old');
    await writeFileAtomic(p, 'new', { mode: 0o600 });
    assert.equal(readFileSync(p, 'utf8'), 'new');
    assert.equal(statSync(p).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(dir), ['key.pem']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a write that fails with ENOSPC leaves the old content and no temp file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-atomic-'));
  try {
    const p = join(dir, 'cert.pem');
    writeFileSync(p, 'old');
    const full: DurableFs = {
      rename, rm,
      open: (async (...args: Parameters<typeof open>) => {
        const h = await open(...args);
        h.writeFile = async () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); };
        return h;
      }) as typeof open,
    };
    await assert.rejects(writeFileAtomic(p, 'new', { fs: full }), /ENOSPC/);
    assert.equal(readFileSync(p, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['cert.pem']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
