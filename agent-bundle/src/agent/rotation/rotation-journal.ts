import { ColdrootError } from '../../../../core/errors.js';
import type { DurableFs } from '../state/atomic-file.js';
import { ROTATION_STEPS, updateRotationState, type RotationJournal, type RotationState, type RotationStep } from '../state/rotation-state.js';
import type { StateLayout } from '../state/state-layout.js';

export const CRASH_ENV = 'COLDROOT_AGENT_CRASH_AFTER';

export function stepIndex(step: RotationStep): number {
  return ROTATION_STEPS.indexOf(step);
}

/** The step after which the fault-injection tests kill the agent: the option, else COLDROOT_AGENT_CRASH_AFTER. */
export function crashStep(option: RotationStep | undefined): RotationStep | undefined {
  const env = process.env[CRASH_ENV];
  if (option) return option;
  if (!env) return undefined;
  if (!(ROTATION_STEPS as readonly string[]).includes(env)) {
    throw new ColdrootError('BAD_CRASH_STEP', `${CRASH_ENV}=${env} is not a rotation step`, `Use one of: ${ROTATION_STEPS.join(', ')}`);
  }
  return env as RotationStep;
}

/** Records `step` durably, then dies there when asked to (SIGKILL: no cleanup, as on a power cut). */
export async function recordStep(layout: StateLayout, journal: RotationJournal, step: RotationStep, crashAfter: RotationStep | undefined, fs?: DurableFs, also?: (s: RotationState) => void): Promise<void> {
  journal.step = step;
  await updateRotationState(layout, (s) => {
    s.journal = { ...journal };
    also?.(s);
  }, fs);
  if (crashAfter === step) process.kill(process.pid, 'SIGKILL');
}

export async function clearJournal(layout: StateLayout, fs?: DurableFs): Promise<void> {
  await updateRotationState(layout, (s) => { s.journal = null; }, fs);
}
