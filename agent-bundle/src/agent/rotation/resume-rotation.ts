import { readRotationState } from '../state/rotation-state.js';
import type { ApplyOptions, ApplyOutcome } from './apply-types.js';
import { GenerationStore } from './generation-store.js';
import { stepIndex } from './rotation-journal.js';
import { abandon, finishFromSwitched, type RotationContext } from './rotation-finish.js';

/**
 * At agent start: settles a rotation the journal says was cut short. Before the switch it is
 * undone (the staged generation goes; the active certificate never changed); from the switch on
 * it is finished (services activated, confirmed, pruned). Returns null when nothing was in flight.
 */
export async function resumeRotation(opts: Omit<ApplyOptions, 'crashAfter'>): Promise<ApplyOutcome | null> {
  const { layout } = opts;
  const j = (await readRotationState(layout)).journal;
  if (!j) return null;
  const log = opts.log ?? (() => undefined);
  const store = new GenerationStore(layout, opts.fs);
  const c: RotationContext = { opts, store, log, crash: undefined };
  const pointer = await store.pointer();
  const switched = stepIndex(j.step) >= stepIndex('switched') || (pointer?.generation === j.generation && j.before?.generation !== j.generation);
  if (!switched) {
    await abandon(c, j);
    log({ event: 'rotation.undone', level: 'warn', generation: j.generation, step: j.step, bundleId: j.bundleId });
    return { status: 'rolled-back', code: 'ROTATION_INTERRUPTED', message: `The rotation to ${j.generation} (bundle ${j.bundleId}) stopped after '${j.step}', before the switch; it was undone and the active certificate is unchanged. Apply the bundle again.` };
  }
  if (stepIndex(j.step) < stepIndex('switched')) j.step = 'switched';
  log({ event: 'rotation.resumed', level: 'warn', generation: j.generation, step: j.step, bundleId: j.bundleId });
  return finishFromSwitched(c, j);
}
