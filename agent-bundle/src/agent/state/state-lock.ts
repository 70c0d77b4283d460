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
 * holding the pid, the process start time and the kernel boot id: a holder that died (SIGKILL,
 * power cut) leaves a lock that the next process recognises as stale and takes over, also when its
 * pid was reused meanwhile (a restarted container's agent is pid 1 again).
 */

export interface LockHolder {
  pid: number;
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot): tells a reused pid from the holder. */
  startTime?: string;
  bootId: string;
  command: string;
  since: string;
  /** Random, per acquisition: which lock is whose. */
  token: string;
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

/** Locks this process holds now (by token), so that our own pid in a lock we do not hold reads as stale. */
const heldHere = new Set<string>();

function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
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
    return { pid: 0, bootId: '', command: 'unknown', since: '', token: '' };
  }
}

/** A holder that cannot be running any more: another boot, a process that is gone, or a pid now used by another process. */
export function isStale(h: LockHolder, me = { bootId: bootId() }): boolean {
  if (h.pid <= 0) return true;
  if (h.bootId !== me.bootId) return true;
  if (h.pid === process.pid) return !heldHere.has(h.token);
  if (!alive(h.pid)) return true;
  const now = startTime(h.pid);
  return h.startTime !== undefined && now !== null && now !== h.startTime;
}

/** Takes the state lock (waiting up to waitMs), returns its release. Stale locks are taken over. */
export async function acquireStateLock(layout: StateLayout, opts: StateLockOptions): Promise<() => Promise<void>> {
  const path = lockPath(layout);
  const me: LockHolder = { pid: process.pid, startTime: startTime(process.pid) ?? undefined, bootId: bootId(), command: opts.command, since: new Date().toISOString(), token: randomBytes(8).toString('hex') };
  const tmp = join(layout.root, `.agent.lock.${randomBytes(6).toString('hex')}.tmp`);
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const waitMs = opts.waitMs ?? DEFAULT_LOCK_WAIT_MS;
  const pollMs = opts.pollMs ?? 200;
  await writeFile(tmp, `${JSON.stringify(me)}\n`, { mode: 0o600, flag: 'wx' });
  try {
    for (let waited = 0; ; waited += pollMs) {
      try {
        await link(tmp, path);
        heldHere.add(me.token);
        return async () => {
          heldHere.delete(me.token);
          // Only our own lock is removed (a takeover after a long stall could have replaced it).
          const h = await readHolder(path);
          if (h && h.token === me.token) await rm(path, { force: true });
        };
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      const holder = await readHolder(path);
      if (holder === null) continue; // released between our attempt and the read
      if (isStale(holder, me)) {
        // Re-read just before removing, so a lock another process took over meanwhile stays.
        const again = await readHolder(path);
        if (again && again.pid === holder.pid && again.token === holder.token) await rm(path, { force: true });
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
