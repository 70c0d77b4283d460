import { readFile } from 'node:fs/promises';
import { writeFileAtomic, type DurableFs } from './atomic-file.js';
import type { StateLayout } from './state-layout.js';

/** The steps of a rotation, in order; the journal records the last one that is durable. */
export const ROTATION_STEPS = ['verified', 'staged', 'validated', 'proven', 'switched', 'activated', 'confirmed'] as const;
export type RotationStep = (typeof ROTATION_STEPS)[number];

/** The pointer active.json held before the switch: what a rollback restores. */
export interface ActivePointer {
  generation: string;
  previous: string | null;
  switchedAt: string;
}

/** A rotation in flight: enough to finish or undo it after a crash. */
export interface RotationJournal {
  step: RotationStep;
  bundleId: string;
  bundleCreatedAt: string;
  requestId: string;
  generation: string;
  serial: string;
  /** active.json before this rotation (null: the device had no generation yet). */
  before: ActivePointer | null;
  startedAt: string;
}

export interface AppliedBundle {
  bundleId: string;
  createdAt: string;
  generation: string;
  appliedAt: string;
}

export interface RotationState {
  journal: RotationJournal | null;
  /** Renewal bundles installed, newest last (bounded: ids older than the newest createdAt are stale anyway). */
  applied: AppliedBundle[];
  /** createdAt of the newest renewal bundle whose signature verified: the lifecycle's clock-skew floor. */
  newestBundleCreatedAt: string | null;
}

const MAX_APPLIED = 200;

export async function readRotationState(layout: StateLayout): Promise<RotationState> {
  try {
    const s = JSON.parse(await readFile(layout.rotationState, 'utf8')) as Partial<RotationState>;
    return { journal: s.journal ?? null, applied: s.applied ?? [], newestBundleCreatedAt: s.newestBundleCreatedAt ?? null };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { journal: null, applied: [], newestBundleCreatedAt: null };
    throw e;
  }
}

export async function writeRotationState(layout: StateLayout, state: RotationState, fs?: DurableFs): Promise<void> {
  const applied = state.applied.slice(-MAX_APPLIED);
  await writeFileAtomic(layout.rotationState, `${JSON.stringify({ ...state, applied }, null, 2)}\n`, { fs });
}

/** Reads, changes and durably writes the rotation state. */
export async function updateRotationState(layout: StateLayout, change: (s: RotationState) => void, fs?: DurableFs): Promise<RotationState> {
  const s = await readRotationState(layout);
  change(s);
  await writeRotationState(layout, s, fs);
  return s;
}

export function laterIso(a: string | null, b: string): string {
  return a !== null && Date.parse(a) >= Date.parse(b) ? a : b;
}
