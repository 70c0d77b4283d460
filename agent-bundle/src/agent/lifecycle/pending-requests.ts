import { readdir, rm } from 'node:fs/promises';
import type { StateLayout } from '../state/state-layout.js';
import { readPendingRequest } from './request-renewal.js';

/**
 * Removes the key and request of renewals that were superseded or timed out long ago. A late
 * answer to one of them could still be installed, so they are kept for `keepForMs` after they were
 * made (the lifecycle uses four response timeouts); the request in flight is never touched, nor is
 * a folder whose request.json is missing or unreadable younger than that (it may be mid-write).
 */
export async function prunePendingRequests(layout: StateLayout, now: Date, keepForMs: number, inFlight: string | null): Promise<string[]> {
  let ids: string[];
  try {
    ids = await readdir(layout.pendingDir);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const removed: string[] = [];
  for (const id of ids) {
    if (id === inFlight) continue;
    const request = await readPendingRequest(layout, id).catch(() => null);
    if (!request || now.getTime() - Date.parse(request.createdAt) <= keepForMs) continue;
    await rm(layout.pending(id), { recursive: true, force: true });
    removed.push(id);
  }
  return removed.sort();
}
