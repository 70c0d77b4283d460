import { rm } from 'node:fs/promises';
import type { AgentEvent } from '../state/agent-event.js';
import type { RotationJournal, RotationStep } from '../state/rotation-state.js';
import type { ApplyOptions, ApplyOutcome } from './apply-types.js';
import type { GenerationStore } from './generation-store.js';
import { clearJournal, recordStep, stepIndex } from './rotation-journal.js';
import { activateServices, type ServiceMaterial } from './service-activation.js';
import { readStagedMaterial, type StagedMaterial } from './staged-material.js';

export interface RotationContext {
  opts: Omit<ApplyOptions, 'crashAfter'>;
  store: GenerationStore;
  log: (e: AgentEvent) => void;
  crash: RotationStep | undefined;
}

/** What a service is given: leaf then chain in one file, and the key. */
function serviceMaterial(m: StagedMaterial): ServiceMaterial {
  return { certChainPem: `${m.certificatePem.trimEnd()}\n${m.chainPem}`, keyPem: m.keyPem, certificateDer: m.certificateDer };
}

/** Undoes a rotation that had not switched: the staged generation goes, the active one stays. */
export async function abandon(c: RotationContext, j: RotationJournal): Promise<void> {
  await c.store.discard(j.generation).catch(() => undefined);
  await clearJournal(c.opts.layout, c.opts.fs);
}

/** From 'switched' on: activate the services, confirm, prune. Shared by apply and resume. */
export async function finishFromSwitched(c: RotationContext, j: RotationJournal): Promise<ApplyOutcome> {
  const { layout, fs } = c.opts;
  const staged = await readStagedMaterial(layout, j.generation);
  if (stepIndex(j.step) < stepIndex('activated')) {
    if (c.opts.services?.length) {
      // A rollback gives the services the generation active before the rotation (kept as 'previous' since the switch), also after a crash mid-activation.
      const previous = j.before && j.before.generation !== j.generation ? await readStagedMaterial(layout, j.before.generation).then(serviceMaterial, (e: Error) => {
        c.log({ event: 'rotation.previous-unreadable', level: 'error', generation: j.before!.generation, reason: e.message });
        return null;
      }) : null;
      const r = await activateServices(c.opts.services, serviceMaterial(staged), previous, { ...c.opts.activation, log: c.log, fs });
      if (!r.ok) {
        await c.store.restore(j.before);
        // prune, not discard: the failed generation goes unless it is the last valid certificate the device has.
        await c.store.prune(c.opts.now);
        await clearJournal(layout, fs);
        c.log({ event: 'rotation.rolled-back', level: 'error', generation: j.generation, service: r.service, code: r.code, reason: r.message, restored: r.restored });
        return { status: 'rolled-back', code: r.code, message: `${r.message}; the previous certificate is active again (restored in: ${r.restored.join(', ') || 'no service'})` };
      }
    }
    await recordStep(layout, j, 'activated', c.crash, fs);
  }
  if (stepIndex(j.step) < stepIndex('confirmed')) {
    await rm(layout.pending(j.requestId), { recursive: true, force: true });
    await recordStep(layout, j, 'confirmed', c.crash, fs, (s) => {
      if (!s.applied.some((a) => a.bundleId === j.bundleId)) s.applied.push({ bundleId: j.bundleId, createdAt: j.bundleCreatedAt, generation: j.generation, appliedAt: c.opts.now.toISOString() });
    });
  }
  const pruned = await c.store.prune(c.opts.now);
  await clearJournal(layout, fs);
  const active = await c.store.material(j.generation);
  const instruction = staged.index?.instructions?.find((i) => i.host === c.opts.host);
  c.log({ event: 'rotation.installed', level: 'info', generation: j.generation, serial: active.serial, notAfter: active.notAfter, bundleId: j.bundleId, pruned });
  return { status: 'installed', generation: j.generation, serial: active.serial, notAfter: active.notAfter, ...(instruction ? { instruction } : {}) };
}

