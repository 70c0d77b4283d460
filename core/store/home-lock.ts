import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import { ColdrootError } from '../errors.js';
import { homePaths } from './home.js';

/** What the lock file says about its owner. */
export interface HomeLockInfo {
  pid: number;
  hostname: string;
  /** When the owning process started (ISO UTC); helps an operator tell a reused pid apart. */
  startedAt: string;
  /** Distinguishes this lock from a later one by a process that got the same pid. */
  token: string;
}

export interface HomeLock {
  readonly path: string;
  readonly info: HomeLockInfo;
  readonly held: boolean;
  /** Removes the lock file if it is still ours. Safe to call twice. */
  release(): void;
}

const PROCESS_STARTED_AT = new Date(Date.now() - process.uptime() * 1000).toISOString();
const heldLocks = new Set<LockFile>();
let exitHookInstalled = false;

/**
 * Makes this process the only writer of `home`. The lock file is created exclusively, so of two
 * processes racing for a free home exactly one wins. A lock left by a process that no longer runs
 * on this host is taken over; a lock from another host is never presumed dead.
 */
export function acquireHomeLock(home: string): HomeLock {
  const lockPath = homePaths(home).lock;
  const info: HomeLockInfo = {
    pid: process.pid,
    hostname: os.hostname(),
    startedAt: PROCESS_STARTED_AT,
    token: randomBytes(16).toString('hex'),
  };
  const content = `${JSON.stringify(info)}\n`;
  // A few rounds cover the lock vanishing or going stale between our attempts.
  for (let round = 0; round < 5; round++) {
    if (tryCreate(lockPath, content)) {
      const lock = new LockFile(lockPath, info, content);
      holdUntilExit(lock);
      return lock;
    }
    const existing = readLock(lockPath);
    if (existing === undefined) continue;
    if (existing.info === null) {
      throw new ColdrootError(
        'HOME_LOCKED',
        `Home ${home} is locked, but its lock file ${lockPath} does not say by whom`,
        `Close any other Coldroot process using this home, or delete ${lockPath} if none is running`,
      );
    }
    if (!isStale(existing.info)) throw lockedError(home, lockPath, existing.info);
    removeStale(lockPath, existing.raw);
  }
  throw new ColdrootError(
    'HOME_LOCKED',
    `Home ${home} is locked: other processes kept taking ${lockPath} while this one tried`,
    'Close the other Coldroot processes using this home and try again',
  );
}

/** The current lock on `home`, if any (null when the home is free or the file is unreadable). */
export function readHomeLock(home: string): HomeLockInfo | null {
  return readLock(homePaths(home).lock)?.info ?? null;
}

class LockFile implements HomeLock {
  held = true;
  constructor(readonly path: string, readonly info: HomeLockInfo, private readonly content: string) {}

  release(): void {
    if (!this.held) return;
    this.held = false;
    heldLocks.delete(this);
    // Only delete the file if it is still ours; if it was taken over, it belongs to someone else.
    let current: string;
    try {
      current = fs.readFileSync(this.path, 'utf8');
    } catch {
      return;
    }
    if (current === this.content) {
      try {
        fs.unlinkSync(this.path);
      } catch {
        // Already gone.
      }
    }
  }
}

/**
 * Publishes the lock with its contents in one step: written to a private file first, then
 * hard-linked to the lock name, which fails if the name exists. So nobody ever reads a
 * half-written lock, and a crash can never leave an empty one.
 */
function tryCreate(lockPath: string, content: string): boolean {
  const tmp = `${lockPath}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
  try {
    writeExclusive(tmp, content);
  } catch (e) {
    throw new ColdrootError(
      'HOME_LOCK_FAILED',
      `Cannot create the lock file ${lockPath}: ${(e as Error).message}`,
      'Check that the home folder exists and that you may write to it',
      'failure',
    );
  }
  try {
    fs.linkSync(tmp, lockPath);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // Filesystems without hard links (FAT on a USB stick): exclusive create, written in place.
    try {
      writeExclusive(lockPath, content);
      return true;
    } catch (e2) {
      if ((e2 as NodeJS.ErrnoException).code === 'EEXIST') return false;
      throw e2;
    }
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

function writeExclusive(file: string, content: string): void {
  const fd = fs.openSync(file, 'wx', 0o644);
  try {
    fs.writeSync(fd, content);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}

/** undefined: no lock file; info null: the file exists but is not a lock we can read. */
function readLock(lockPath: string): { raw: string; info: HomeLockInfo | null } | undefined {
  let raw: string;
  try {
    raw = fs.readFileSync(lockPath, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const v = JSON.parse(raw) as Partial<HomeLockInfo>;
    if (Number.isSafeInteger(v.pid) && (v.pid as number) > 0 && typeof v.hostname === 'string') {
      return {
        raw,
        info: {
          pid: v.pid as number,
          hostname: v.hostname,
          startedAt: typeof v.startedAt === 'string' ? v.startedAt : 'unknown',
          token: typeof v.token === 'string' ? v.token : '',
        },
      };
    }
  } catch {
    // Fall through: unreadable.
  }
  return { raw, info: null };
}

function isStale(info: HomeLockInfo): boolean {
  if (info.hostname !== os.hostname()) return false;
  if (info.pid === process.pid) return false;
  return !pidAlive(info.pid);
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to another user.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes a stale lock without ever removing a fresh one: the file is first renamed aside
 * (atomic, so only one contender gets it), then checked. If what we moved is not the stale lock
 * we inspected, another process took the home in between and its lock goes back.
 */
function removeStale(lockPath: string, staleRaw: string): void {
  const aside = `${lockPath}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  const moved = fs.readFileSync(aside, 'utf8');
  if (moved !== staleRaw) {
    try {
      fs.linkSync(aside, lockPath);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      // Filesystems without hard links (FAT on a USB stick): rename is the best available.
      if (code !== 'EEXIST') fs.renameSync(aside, lockPath);
    }
  }
  try {
    fs.unlinkSync(aside);
  } catch {
    // Renamed back above.
  }
}

function lockedError(home: string, lockPath: string, info: HomeLockInfo): ColdrootError {
  const where = info.hostname === os.hostname() ? '' : ` on host ${info.hostname}`;
  if (info.pid === process.pid && where === '') {
    return new ColdrootError(
      'HOME_LOCKED',
      `Home ${home} is already open for writing in this process (pid ${info.pid})`,
      'Close the store that is already open before opening it again',
    );
  }
  return new ColdrootError(
    'HOME_LOCKED',
    `Home ${home} is in use by Coldroot process ${info.pid}${where} (started ${info.startedAt})`,
    `Close the other Coldroot process (pid ${info.pid}${where}), or delete ${lockPath} if that process is gone`,
  );
}

function holdUntilExit(lock: LockFile): void {
  heldLocks.add(lock);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // A signal-killed process skips 'exit'; its lock is then stale and taken over by the next one.
  process.on('exit', () => {
    for (const l of [...heldLocks]) l.release();
  });
}
