import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ColdrootError } from '../../../../core/errors.js';
import { writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import type { StateLayout } from '../state/state-layout.js';
import type { SeenClients } from './client-ips.js';
import type { RiskHistory } from './local-risk.js';
import type { LogCursor } from './log-tail.js';
import type { ProcSnapshot } from './proc-stats.js';

/**
 * What the collector remembers between runs (and restarts): when it last collected, the /proc
 * counters of that moment, where each log was read up to, and the client addresses it has seen.
 */
export interface CollectState {
  version: 1;
  lastCollectedAt: string | null;
  proc: ProcSnapshot | null;
  logs: Record<string, LogCursor>;
  seen: SeenClients;
  /** This host's recent samples as feature rows, kept only with collect.localRiskReport. */
  riskHistory?: RiskHistory;
}

export function collectStatePath(layout: StateLayout): string {
  return join(layout.root, 'collect-state.json');
}

export function emptyCollectState(): CollectState {
  return { version: 1, lastCollectedAt: null, proc: null, logs: {}, seen: { ips: {}, nets: {} } };
}

export async function loadCollectState(layout: StateLayout): Promise<CollectState> {
  const path = collectStatePath(layout);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyCollectState();
    throw e;
  }
  try {
    const s = JSON.parse(text) as CollectState;
    if (s.version !== 1 || typeof s.logs !== 'object' || typeof s.seen?.ips !== 'object' || typeof s.seen?.nets !== 'object') throw new Error('not a version 1 collect state');
    return s;
  } catch (e) {
    throw new ColdrootError('COLLECT_STATE_INVALID', `${path} is unreadable: ${(e as Error).message}`, `Delete ${path}; the next collection starts afresh (first-window figures, logs read from their end, every client counted as new)`, 'failure');
  }
}

export async function saveCollectState(layout: StateLayout, state: CollectState, fs?: DurableFs): Promise<void> {
  const path = collectStatePath(layout);
  await mkdir(dirname(path), { recursive: true });
  await writeFileAtomic(path, `${JSON.stringify(state)}\n`, { fs });
}
