import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CanaryPlan } from '../../../../core/policy/canary/canary-plan.js';
import type { RolloutReport, RolloutState } from '../../../../core/policy/canary/rollout-progress.js';
import { writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import type { RotationJournal } from '../state/rotation-state.js';
import type { StateLayout } from '../state/state-layout.js';

/**
 * canary-state.json in the agent's state folder: the canary rollout the agent runs or ran. A
 * rotation with a canary plan stops after 'proven' with the new generation staged but not active;
 * its journal is parked here (not in rotation-state.json, whose resume would undo it) until the
 * controller completes — then the ordinary switch → activate → confirm path finishes it — or rolls
 * back, and the old certificate simply stays active. Rewritten atomically after every decision,
 * so a restarted agent resumes at the last exposure.
 */
export const CANARY_STATE_FILE = 'canary-state.json';

export interface CanaryAgentState {
  plan: CanaryPlan;
  host: string;
  state: RolloutState;
  /** The parked rotation (step 'proven'); null once finished either way. */
  journal: RotationJournal | null;
  oldGeneration: string;
  newGeneration: string;
  oldCertificate: string;
  newCertificate: string;
  policy: string;
  exposurePercent: number;
  startedAt: string;
  lastChangeAt: string;
  finishedAt: string | null;
  changes: RolloutReport['changes'];
  lastDecision: RolloutReport['lastDecision'];
  rollbackReason: string | null;
}

export function canaryStatePath(layout: StateLayout): string {
  return join(layout.root, CANARY_STATE_FILE);
}

export async function readCanaryState(layout: StateLayout): Promise<CanaryAgentState | null> {
  try {
    return JSON.parse(await readFile(canaryStatePath(layout), 'utf8')) as CanaryAgentState;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function writeCanaryState(layout: StateLayout, s: CanaryAgentState, fs?: DurableFs): Promise<void> {
  await writeFileAtomic(canaryStatePath(layout), `${JSON.stringify(s, null, 2)}\n`, { fs });
}

/** The console's view of a rollout (rollout.json of a metrics bundle). */
export function rolloutReportOf(s: CanaryAgentState): RolloutReport {
  return {
    host: s.host, planId: s.plan.id, policy: s.policy, state: s.state, exposurePercent: s.exposurePercent,
    activeCertificate: s.state === 'complete' || s.state === 'all-at-once' ? 'new' : 'old',
    oldCertificate: s.oldCertificate, newCertificate: s.newCertificate, startedAt: s.startedAt, lastChangeAt: s.lastChangeAt,
    finishedAt: s.finishedAt, changes: s.changes.slice(-1000), lastDecision: s.lastDecision, rollbackReason: s.rollbackReason,
  };
}
