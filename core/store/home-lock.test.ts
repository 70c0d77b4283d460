import { afterEach, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { acquireHomeLock, readHomeLock } from './home-lock.js';

/** A pid that was alive a moment ago and is not now. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '']);
  assert.equal(r.status, 0);
  return r.pid;
}

describe('home lock (in one process)', () => {
  let home: string;
  let lockPath: string;
  beforeEach(() => {
    home = fs.mkdtempSync(path.join(os.tmpdir(), 'coldroot-lock-'));
    lockPath = path.join(home, 'coldroot.lock');
  });
  afterEach(() => fs.rmSync(home, { recursive: true, force: true }));

  const writeLock = (info: object) => fs.writeFileSync(lockPath, JSON.stringify(info));

  test('taking the lock writes our pid, hostname and start time; release removes it', () => {
    const lock = acquireHomeLock(home);
    const info = readHomeLock(home);
    assert.equal(info?.pid, process.pid);
    assert.equal(info?.hostname, os.hostname());
    assert.ok(Math.abs(Date.parse(info!.startedAt) - (Date.now() - process.uptime() * 1000)) < 5000);
    assert.match(info!.token, /^[0-9a-f]{32}$/);
    assert.deepEqual(info, lock.info);
    assert.deepEqual(fs.readdirSync(home), ['coldroot.lock'], 'the private file it was written as is gone');
    lock.release();
    assert.equal(lock.held, false);
    assert.equal(fs.existsSync(lockPath), false);
    lock.release();
  });

  test('a second lock in the same process is refused', () => {
    const lock = acquireHomeLock(home);
    assert.throws(() => acquireHomeLock(home), {
      code: 'HOME_LOCKED',
      message: `Home ${home} is already open for writing in this process (pid ${process.pid})`,
    });
    lock.release();
  });

  test('a lock held by a live process on this host is refused, naming the home, the pid and the way out', () => {
    const pid = process.ppid; // alive: it started us
    writeLock({ pid, hostname: os.hostname(), startedAt: '2026-01-02T03:04:05.000Z', token: 'x' });
    assert.throws(() => acquireHomeLock(home), {
      code: 'HOME_LOCKED',
      message: `Home ${home} is in use by Coldroot process ${pid} (started 2026-01-02T03:04:05.000Z)`,
      hint: `Close the other Coldroot process (pid ${pid}), or delete ${lockPath} if that process is gone`,
    });
    assert.equal(readHomeLock(home)?.pid, pid);
  });

  test('a lock left by a dead process is taken over, leaving no stray files', () => {
    const pid = deadPid();
    writeLock({ pid, hostname: os.hostname(), startedAt: '2026-01-02T03:04:05.000Z', token: 'old' });
    const lock = acquireHomeLock(home);
    assert.equal(readHomeLock(home)?.pid, process.pid);
    assert.deepEqual(fs.readdirSync(home), ['coldroot.lock']);
    lock.release();
  });

  test('a lock from another host is never presumed dead', () => {
    const pid = deadPid();
    writeLock({ pid, hostname: 'other-host.example', startedAt: '2026-01-02T03:04:05.000Z', token: 'x' });
    assert.throws(() => acquireHomeLock(home), {
      code: 'HOME_LOCKED',
      message: `Home ${home} is in use by Coldroot process ${pid} on host other-host.example (started 2026-01-02T03:04:05.000Z)`,
    });
  });

  test('an unreadable lock file is treated as held', () => {
    fs.writeFileSync(lockPath, '');
    assert.throws(() => acquireHomeLock(home), {
      code: 'HOME_LOCKED',
      message: `Home ${home} is locked, but its lock file ${lockPath} does not say by whom`,
      hint: `Close any other Coldroot process using this home, or delete ${lockPath} if none is running`,
    });
  });

  test("release leaves alone a lock that is no longer ours", () => {
    const lock = acquireHomeLock(home);
    writeLock({ pid: process.ppid, hostname: os.hostname(), startedAt: 'x', token: 'someone-else' });
    lock.release();
    assert.equal(readHomeLock(home)?.token, 'someone-else');
  });

  test('a home folder that does not exist cannot be locked', () => {
    assert.throws(() => acquireHomeLock(path.join(home, 'missing')), { code: 'HOME_LOCK_FAILED' });
  });
});
