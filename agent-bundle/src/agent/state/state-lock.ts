import { readFileSync } from 'node:fs';
import { link, readFile, rm, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { ColdrootError } from '../../../../core/errors.js';
import type { StateLayout } from './state-layout.js';

/*
 * One agent process at a time changes the state folder. The daemon (`run`) and a command an
 * administrator types (`apply`, `request-renewal`, `collect`, `run --once`) would otherwise rotate
 * and reload services at the same time, and race on the read-modify-write state files
 * (agent-state.json, rotation-state.json, sequence.json: a reused sequence number is a replay to
 * the console). The lock is a file created whole with link() (so it never exists half written),
 * holding the pid and the kernel boot id: a holder that died (SIGKILL, power cut) leaves a lock
 * that the next process recognises as stale and takes over.
 */

export interface LockHolder {
  pid: number;
  bootId: string;
  command: string;
  since: string;
}

export interface StateLockOptions {
  /** What takes the lock, for the holder record and the busy message. */
  command: string;
  /** How long to wait for another process to finish (default 120 s: a rotation with health checks). */
  waitMs?: number;
  /** Between attempts (default 200 ms). */
  pollMs?: number;
  /** Injectable so tests never wait on the wall clock. */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_LOCK_WAIT_MS = 120_000;

const lockPath = (layout: StateLayout) => join(layout.root, 'agent.lock');

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function readHolder(path: string): Promise<LockHolder | null> {
  try {
    const h = JSON.parse(await readFile(path, 'utf8')) as Partial<LockHolder>;
    return typeof h.pid === 'number' && typeof h.bootId === 'string' ? (h as LockHolder) : null;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    // Unreadable or not JSON: never written by this code (link() publishes whole files), so stale.
    return { pid: 0, bootId: '', command: 'unknown', since: '' };
  }
}

/** A holder that cannot be running any more: another boot, or a process that is gone. */
export function isStale(h: LockHolder, me = { bootId: bootId() }): boolean {
  if (h.pid <= 0) return true;
  if (h.bootId !== me.bootId) return true;
  return !alive(h.pid);
}

/** Takes the state lock (waiting up to waitMs), returns its release. Stale locks are taken over. */
export async function acquireStateLock(layout: StateLayout, opts: StateLockOptions): Promise<() => Promise<void>> {
  const path = lockPath(layout);
  const me: LockHolder = { pid: process.pid, bootId: bootId(), command: opts.command, since: new Date().toISOString() };
  const tmp = join(layout.root, `.agent.lock.${randomBytes(6).toString('hex')}.tmp`);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = opts.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const pollMs = opts.pollMs ?? 200;
  await writeFile(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    for (let waited = 0; ; waited += pollMs) {
      try {
        await link(tmp, path);
        return async () => {
          // Only our own lock is removed (a takeover after a long stall could have replaced it).
          const h = await readHolder(path);
          if (h && h.pid === me.pid && h.since === me.since) await rm(path, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = await readHolder(path);
      if (holder === null) continue; // released between our attempt and the read
      if (isStale(holder, me)) {
        // Re-read just before removing, so a lock another process took over meanwhile stays.
        const again = await readHolder(path);
        if (again && again.pid === holder.pid && again.since === holder.since) await rm(path, { force: true });
        continue;
      }
      if (waited >= waitMs) {
        throw new ColdrootError('AGENT_BUSY', `Another agent process (pid ${holder.pid}, '${holder.command}' since ${holder.since}) holds ${path}`,
          `Wait for it to finish and try again; if no coldroot-agent process is running, remove ${path}`, 'failure');
      }
      await sleep(pollMs);
    }
  } finally {
    await rm(tmp, { force: true });
  }
}

/** Runs `fn` holding the state lock. */
export async function withStateLock<T>(layout: StateLayout, opts: StateLockOptions, fn: () => Promise<T>): Promise<T> {
  const release = await acquireStateLock(layout, opts);
  try {
    return await fn();
  } finally {
    await release();
  }
}
