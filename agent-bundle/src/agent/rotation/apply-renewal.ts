import { X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isColdrootError } from '../../../../core/errors.js';
import { laterIso, readRotationState, updateRotationState, type RotationJournal } from '../state/rotation-state.js';
import type { StateLayout } from '../state/state-layout.js';
import type { ApplyOptions, ApplyOutcome } from './apply-types.js';
import { generationIdFor, GenerationStore } from './generation-store.js';
import { proveOperational } from './prove-operational.js';
import { resumeRotation } from './resume-rotation.js';
import { abandon, finishFromSwitched, type RotationContext } from './rotation-finish.js';
import { crashStep, recordStep } from './rotation-journal.js';
import { materialFromBundle, readStagedMaterial } from './staged-material.js';
import { validateMaterial } from './validate-material.js';
import { verifyRenewalBundle } from './verify-renewal-bundle.js';
import { canaryInProgress, parkForCanary, recordAllAtOnce } from '../canary/park-canary.js';

export type { AgentEvent } from '../state/agent-event.js';
export type { RotationStep } from '../state/rotation-state.js';
export { readRotationState } from '../state/rotation-state.js';
export type { ApplyOptions, ApplyOutcome } from './apply-types.js';
export { resumeRotation } from './resume-rotation.js';

const norm = (serial: string) => serial.toLowerCase().replace(/^0+(?=.)/, '');

async function pendingKey(layout: StateLayout, requestId: string): Promise<string | null> {
  try {
    return await readFile(join(layout.pending(requestId), 'key.pem'), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Installs the certificate a renewal bundle carries for this host, never leaving the device
 * without a working certificate: verify the bundle → stage a new generation → validate it →
 * prove it in a loopback TLS handshake → switch active.json → activate the services (health
 * checked, rolled back on failure) → confirm (the pending request is done) → prune. Each step is
 * journaled durably first, so `resumeRotation` can finish or undo a rotation cut short; applying
 * the same bundle again is a no-op.
 */
export async function applyRenewalBundle(file: string, opts: ApplyOptions): Promise<ApplyOutcome> {
  const log = opts.log ?? (() => undefined);
  const { layout, fs, now, host } = opts;
  const store = new GenerationStore(layout, fs);
  const c: RotationContext = { opts, store, log, crash: crashStep(opts.crashAfter) };
  if ((await readRotationState(layout)).journal) await resumeRotation(opts);

  let v: Awaited<ReturnType<typeof verifyRenewalBundle>>;
  try {
    v = await verifyRenewalBundle(file, { trustAnchors: opts.trustAnchors, now });
  } catch (e) {
    if (!isColdrootError(e)) throw e;
    log({ event: 'rotation.rejected', level: 'error', file, code: e.code, reason: e.message });
    return { status: 'rejected', code: e.code, message: e.message };
  }
  const { bundleId, createdAt } = v.manifest;
  const state = await updateRotationState(layout, (s) => { s.newestBundleCreatedAt = laterIso(s.newestBundleCreatedAt, createdAt); }, fs);
  const seen = state.applied.find((a) => a.bundleId === bundleId);
  if (seen) return { status: 'duplicate', generation: seen.generation };
  const running = await canaryInProgress(c);
  if (running) return { status: 'failed', code: 'CANARY_IN_PROGRESS', message: `Canary rollout ${running.plan.id} of ${running.newGeneration} is still running; bundle ${bundleId} waits until it ends` };

  const mine = v.index.issued.filter((i) => i.host === host);
  if (!mine.length) {
    for (const r of v.index.rejected.filter((x) => x.host === host)) {
      if (await pendingKey(layout, r.requestId)) {
        log({ event: 'rotation.refused-by-console', level: 'error', requestId: r.requestId, code: r.code, reason: r.message });
        return { status: 'rejected', code: 'RENEWAL_REFUSED_BY_CONSOLE', message: `The console refused request ${r.requestId}: ${r.code}: ${r.message}` };
      }
    }
    return { status: 'not-for-us', reason: `Bundle ${bundleId} issues nothing for host ${host} (it answers ${[...new Set(v.index.issued.map((i) => i.host))].slice(0, 5).join(', ') || 'no host'})` };
  }
  const active = await store.active();
  const current = active && mine.find((i) => norm(i.serial) === active.serial);
  if (current) return { status: 'duplicate', generation: active.generation };
  const newestApplied = state.applied.reduce<string | null>((a, b) => laterIso(a, b.createdAt), null);
  if (newestApplied && Date.parse(createdAt) < Date.parse(newestApplied)) {
    return { status: 'stale', reason: `Bundle ${bundleId} was created at ${createdAt}, before the newest bundle already installed (${newestApplied})` };
  }
  let entry: (typeof mine)[number] | undefined;
  let keyPem: string | null = null;
  for (const i of mine) if (!entry && (keyPem = await pendingKey(layout, i.requestId))) entry = i;
  if (!entry || !keyPem) return { status: 'stale', reason: `Bundle ${bundleId} answers request ${mine.map((i) => i.requestId).join(', ')}, which is no longer pending on this device` };

  const serial = norm(entry.serial);
  const j: RotationJournal = {
    step: 'verified', bundleId, bundleCreatedAt: createdAt, requestId: entry.requestId, generation: generationIdFor(serial), serial,
    before: await store.pointer(), startedAt: now.toISOString(),
  };
  log({ event: 'rotation.verified', level: 'info', bundleId, requestId: entry.requestId, serial, signer: v.signer.subject });
  try {
    await recordStep(layout, j, 'verified', c.crash, fs);
    await store.stage(materialFromBundle(v, entry, keyPem, { bundleId, bundleCreatedAt: createdAt, requestId: entry.requestId, host }, now));
    await recordStep(layout, j, 'staged', c.crash, fs);
  } catch (e) {
    await abandon(c, j).catch(() => undefined);
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    log({ event: 'rotation.write-failed', level: 'error', generation: j.generation, code, reason: (e as Error).message });
    return { status: 'failed', code: 'ROTATION_WRITE_FAILED', message: `Staging generation ${j.generation} failed (${code}): ${(e as Error).message}; the active certificate is unchanged` };
  }

  const staged = await readStagedMaterial(layout, j.generation);
  const check = validateMaterial({ certificateDer: staged.certificateDer, chain: staged.chain, crls: staged.crls, ocspDer: staged.ocspDer, pendingKey: staged.keyPem }, { trustAnchors: opts.trustAnchors, now });
  if (!check.ok) {
    await abandon(c, j);
    log({ event: 'rotation.rejected', level: 'error', generation: j.generation, code: check.code, reason: check.message });
    return { status: 'rejected', code: check.code, message: check.message };
  }
  await recordStep(layout, j, 'validated', c.crash, fs);
  const proof = await proveOperational({ certificatePem: staged.certificatePem, chainPem: staged.chainPem, keyPem: staged.keyPem, certificateDer: staged.certificateDer, trustAnchors: opts.trustAnchors, now });
  if (!proof.ok) {
    await abandon(c, j);
    log({ event: 'rotation.rejected', level: 'error', generation: j.generation, code: proof.code, reason: proof.message });
    return { status: 'rejected', code: proof.code, message: proof.message };
  }
  await recordStep(layout, j, 'proven', c.crash, fs);
  const plan = v.rollout?.canary;
  const newFp = new X509Certificate(staged.certificatePem).fingerprint256.replace(/:/g, '').toLowerCase();
  if (plan && opts.canaryFront) {
    const parked = await parkForCanary(c, j, plan, newFp);
    if (parked) return parked;
  }
  const oldActive = plan ? await store.active() : null;
  await store.switchTo(j.generation, now);
  log({ event: 'rotation.switched', level: 'info', generation: j.generation, previous: j.before?.generation ?? null, handshakeMs: Math.round(proof.handshakeMs) });
  await recordStep(layout, j, 'switched', c.crash, fs);
  const outcome = await finishFromSwitched(c, j);
  if (plan && outcome.status === 'installed') outcome.rollout = await recordAllAtOnce(c, j, plan, oldActive, newFp);
  return outcome;
}

