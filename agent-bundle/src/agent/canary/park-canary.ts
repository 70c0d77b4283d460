import type { CanaryPlan } from '../../../../core/policy/canary/canary-plan.js';
import type { ApplyOutcome } from '../rotation/apply-types.js';
import type { RotationContext } from '../rotation/rotation-finish.js';
import { clearJournal } from '../rotation/rotation-journal.js';
import type { RotationJournal } from '../state/rotation-state.js';
import { readCanaryState, writeCanaryState, type CanaryAgentState } from './canary-state.js';

function baseState(plan: CanaryPlan, host: string, j: RotationJournal, old: { generation: string; fingerprintSha256: string }, newFp: string, at: string): CanaryAgentState {
  return {
    plan, host, state: 'running', journal: null, oldGeneration: old.generation, newGeneration: j.generation,
    oldCertificate: old.fingerprintSha256, newCertificate: newFp, policy: plan.step.policy, exposurePercent: plan.initialExposurePercent,
    startedAt: at, lastChangeAt: at, finishedAt: null, changes: [], lastDecision: null, rollbackReason: null,
  };
}

/** A canary rollout the agent is running: a second renewal waits (stays in the inbox) until it ends. */
export async function canaryInProgress(c: RotationContext): Promise<CanaryAgentState | null> {
  const s = await readCanaryState(c.opts.layout);
  return s && s.state === 'running' ? s : null;
}

/**
 * After 'proven', with a canary plan and a TLS front: the new generation stays staged, not active;
 * the journal is parked in canary-state.json for AgentCanary to finish. Null when there is no old
 * certificate to canary against (a first certificate): the caller switches at once.
 */
export async function parkForCanary(c: RotationContext, j: RotationJournal, plan: CanaryPlan, newFp: string): Promise<ApplyOutcome | null> {
  const old = await c.store.active();
  if (!old) return null;
  const s = baseState(plan, c.opts.host, j, old, newFp, c.opts.now.toISOString());
  s.journal = { ...j, step: 'proven' };
  await writeCanaryState(c.opts.layout, s, c.opts.fs);
  await clearJournal(c.opts.layout, c.opts.fs);
  c.log({ event: 'rotation.canary-started', level: 'info', generation: j.generation, planId: plan.id, exposurePercent: s.exposurePercent, old: old.generation });
  return { status: 'canary', generation: j.generation, serial: j.serial, planId: plan.id, exposurePercent: s.exposurePercent };
}

/** No front on this host: the plan was honoured as one switch; recorded so the console sees the rollout too. */
export async function recordAllAtOnce(c: RotationContext, j: RotationJournal, plan: CanaryPlan, old: { generation: string; fingerprintSha256: string } | null, newFp: string): Promise<string> {
  const note = `canary plan ${plan.id} applied all at once: no TLS front configured (agent config 'canary')`;
  if (old) {
    const s = baseState(plan, c.opts.host, j, old, newFp, c.opts.now.toISOString());
    Object.assign(s, { state: 'all-at-once', exposurePercent: 100, finishedAt: s.startedAt });
    await writeCanaryState(c.opts.layout, s, c.opts.fs);
  }
  c.log({ event: 'rotation.canary-all-at-once', level: 'warn', generation: j.generation, planId: plan.id });
  return note;
}
