import { readFile, rm } from 'node:fs/promises';
import type { CanaryPlan } from '../../../../core/policy/canary/canary-plan.js';
import type { CanaryDecision } from '../../../../core/policy/canary/canary-controller.js';
import { handshakeMetricFields, type HandshakeMetricFields } from '../../../../core/policy/canary/canary-metrics.js';
import type { Arm } from '../../../../core/policy/canary/handshake-observation.js';
import { CanaryRuntime, type RuntimeEvent } from '../../tls-front/canary-runtime.js';
import type { SuccessOn } from '../../tls-front/handshake-outcome.js';
import { parseHostPort, serveTls, type TlsFront } from '../../tls-front/tls-front.js';
import type { ApplyOptions, ApplyOutcome } from '../rotation/apply-types.js';
import { GenerationStore } from '../rotation/generation-store.js';
import { finishFromSwitched, type RotationContext } from '../rotation/rotation-finish.js';
import { clearJournal, recordStep } from '../rotation/rotation-journal.js';
import { readRotationState, updateRotationState } from '../state/rotation-state.js';
import { withStateLock } from '../state/state-lock.js';
import { readCanaryState, writeCanaryState, type CanaryAgentState } from './canary-state.js';

/** The agent configuration's `canary` member: where the TLS front listens and what it fronts. */
export interface CanaryFrontConfig {
  listen: string;
  upstream: string;
  successOn?: SuccessOn;
}

export interface AgentCanaryOptions {
  /** The rotation options of the tick that drives the rollout (layout, host, services, now…). */
  rotation: Omit<ApplyOptions, 'crashAfter'>;
  front: CanaryFrontConfig;
  /** The controller's clock, ms since the epoch (injected in tests). */
  clock: () => number;
  /**
   * 'manual': the caller calls tick() (tests, a loop with an injected clock); 'timer': the rollout
   * also ticks itself every evaluateEverySeconds on a real timer, with the rotation options of that
   * moment from `rotationAt`, and hands a finished rollout's outcome to `onFinished`.
   */
  cadence?: 'manual' | 'timer';
  rotationAt?: (now: Date) => Promise<Omit<ApplyOptions, 'crashAfter'>>;
  onFinished?: (outcome: ApplyOutcome, now: Date) => Promise<void>;
  onEvent?: (e: RuntimeEvent) => void;
  /**
   * Runs a timer beat with the state folder to itself: the agent loop's `exclusive` (its queue and
   * the state lock), so a beat that finishes the rollout (switch, service reloads) never overlaps a
   * tick, apply, request-renewal or collect. Default: the state lock alone.
   */
  exclusive?: (command: string, fn: () => Promise<void>) => Promise<void>;
  /** Starts the timer cadence's beats, every `everyMs`, and returns their stop (default: an unref'd setInterval; tests beat by hand). */
  schedule?: (beat: () => Promise<void>, everyMs: number) => () => void;
}

export interface CanaryTickResult {
  state: CanaryAgentState['state'];
  exposurePercent: number;
  decision: CanaryDecision | null;
  /** Set when this tick finished the rollout: the switch's outcome, or the rollback. */
  finished: ApplyOutcome | null;
}

const iso = (ms: number) => new Date(ms).toISOString();

/** Fronts running in this process, by state folder: the collector takes its handshake samples from them. */
const running = new Map<string, AgentCanary>();

/** The canary front running for this state folder in this process, if any. */
export function runningCanary(stateRoot: string): AgentCanary | null {
  return running.get(stateRoot) ?? null;
}

/** Resuming after a restart: the controller starts again at the exposure last decided (its evidence is gone, so it re-earns increases). */
function resumedPlan(s: CanaryAgentState): CanaryPlan {
  if (s.changes.length === 0) return s.plan;
  const e = s.exposurePercent;
  return { ...s.plan, initialExposurePercent: e, minExposurePercent: Math.min(s.plan.minExposurePercent, e) };
}

/**
 * Runs the canary rollout parked in canary-state.json: the TLS front serves the old (active)
 * generation and the staged new one per the controller, each decision is persisted, `complete`
 * switches through the ordinary rotation path and `rolled-back` (or a failed-safe runtime) keeps
 * the old certificate active and records why. The front keeps serving after the end, with the
 * certificate the rollout settled on, until close().
 */
export class AgentCanary {
  private readonly baseChanges: CanaryAgentState['changes'];
  private stopTimer: (() => void) | null = null;
  private beating = false;
  private closed = false;
  /** Ticks run one after another, whoever calls them (the timer, the agent loop). */
  private chain: Promise<unknown> = Promise.resolve();

  private constructor(readonly runtime: CanaryRuntime, readonly front: TlsFront, private state: CanaryAgentState, private readonly opts: AgentCanaryOptions) {
    this.baseChanges = state.changes;
  }

  /** Starts the front for a running rollout; null when no rollout is running. */
  static async resume(opts: AgentCanaryOptions): Promise<AgentCanary | null> {
    const { layout } = opts.rotation;
    const s = await readCanaryState(layout);
    if (!s || s.state !== 'running') return null;
    const store = new GenerationStore(layout, opts.rotation.fs);
    const material = async (id: string) => {
      const m = await store.material(id);
      const [cert, chain, key] = await Promise.all([readFile(m.certPath, 'utf8'), readFile(m.chainPath, 'utf8'), readFile(m.keyPath, 'utf8')]);
      return { cert: `${cert.trimEnd()}\n${chain}`, key };
    };
    const old = await material(s.oldGeneration);
    // A new generation that cannot be read is a failed rollout, not a failed agent: the runtime serves old.
    const next = await material(s.newGeneration).catch((e: Error) => ({ cert: '', key: '', error: e.message }));
    const runtime = new CanaryRuntime({ plan: resumedPlan(s), old, next, now: opts.clock, onEvent: opts.onEvent });
    const front = await serveTls({
      listen: parseHostPort(opts.front.listen, 'canary.listen'), upstream: parseHostPort(opts.front.upstream, 'canary.upstream'),
      runtime, cadence: 'manual', successOn: opts.front.successOn,
    });
    const canary = new AgentCanary(runtime, front, s, opts);
    running.set(layout.root, canary);
    if (opts.cadence === 'timer') canary.startTimer();
    return canary;
  }

  get status(): CanaryAgentState {
    return this.state;
  }

  private startTimer(): void {
    const every = Math.max(250, this.state.plan.analysis.evaluateEverySeconds * 1000 / 2);
    const schedule = this.opts.schedule ?? ((beat: () => Promise<void>, ms: number) => {
      const t = setInterval(() => void beat(), ms);
      t.unref();
      return () => clearInterval(t);
    });
    this.stopTimer = schedule(() => this.beat(), every);
  }

  /**
   * One beat of the timer cadence: under the state lock, evaluates and finishes the rollout when
   * the controller has. A beat still waiting for the lock makes the next ones skip, not queue up.
   */
  private async beat(): Promise<void> {
    if (this.beating || this.closed || this.state.state !== 'running') return;
    this.beating = true;
    const { layout } = this.opts.rotation;
    const exclusive = this.opts.exclusive ?? ((command: string, fn: () => Promise<void>) => withStateLock(layout, { command }, fn));
    try {
      await exclusive('canary', async () => {
        // Re-checked under the lock: the rollout may have ended, or the front closed, while this beat waited.
        if (this.closed || this.state.state !== 'running') return;
        const now = new Date(this.opts.clock());
        const rotation = this.opts.rotationAt ? await this.opts.rotationAt(now) : { ...this.opts.rotation, now };
        const r = await this.tick(rotation);
        if (r.finished) await this.opts.onFinished?.(r.finished, now);
      });
    } catch (e) {
      // The front keeps serving (old unless the controller said otherwise); the next beat retries.
      (this.opts.rotation.log ?? (() => undefined))({ event: 'canary-tick-failed', level: 'error', message: (e as Error).message });
    } finally {
      this.beating = false;
    }
  }

  /** Evaluates when due, persists the progress, and finishes the rollout when the controller has. */
  tick(rotation: Omit<ApplyOptions, 'crashAfter'> = this.opts.rotation): Promise<CanaryTickResult> {
    const next = this.chain.then(() => this.tickNow(rotation));
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async tickNow(rotation: Omit<ApplyOptions, 'crashAfter'>): Promise<CanaryTickResult> {
    const decision = this.state.state === 'running' ? this.runtime.tick() : null;
    let finished: ApplyOutcome | null = null;
    if (this.state.state === 'running') {
      this.absorb();
      const st = this.runtime.status().state;
      if (st === 'complete') finished = await this.complete(rotation);
      else if (st === 'rolled-back' || st === 'failed-safe') finished = await this.rollBack(rotation, st);
      else await writeCanaryState(rotation.layout, this.state, rotation.fs);
    }
    return { state: this.state.state, exposurePercent: this.state.exposurePercent, decision, finished };
  }

  /** Per-certificate handshake fields since `fromMs` (the metric sample window), keyed by leaf SHA-256. */
  handshakeSamples(fromMs: number): Array<{ arm: Arm; certificateSha256: string; fields: HandshakeMetricFields }> {
    const out: Array<{ arm: Arm; certificateSha256: string; fields: HandshakeMetricFields }> = [];
    for (const arm of ['old', 'new'] as const) {
      const fp = arm === 'old' ? this.state.oldCertificate : this.state.newCertificate;
      out.push({ arm, certificateSha256: fp, fields: handshakeMetricFields(this.runtime.controller.handshakeStats(arm, fromMs)) });
    }
    return out;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopTimer?.();
    this.stopTimer = null;
    await this.chain;
    if (running.get(this.opts.rotation.layout.root) === this) running.delete(this.opts.rotation.layout.root);
    await this.front.close();
  }

  /** Copies the controller's progress into the persisted state. */
  private absorb(): void {
    const p = this.runtime.controller.progress();
    const st = this.runtime.status();
    this.state.exposurePercent = st.exposurePercent;
    this.state.policy = p.policy;
    const changes = p.changes.map((c) => ({ at: iso(c.at), from: c.from, to: c.to, action: c.action, metric: c.metric }));
    this.state.changes = [...this.baseChanges, ...changes].slice(-1000);
    if (changes.length) this.state.lastChangeAt = changes[changes.length - 1].at;
    const d = p.lastDecision;
    if (d) this.state.lastDecision = { at: iso(d.at), action: d.action, from: d.from, to: d.to, metric: d.reason.metric, message: d.reason.message.slice(0, 2000) };
  }

  private context(rotation: Omit<ApplyOptions, 'crashAfter'>): RotationContext {
    return { opts: rotation, store: new GenerationStore(rotation.layout, rotation.fs), log: rotation.log ?? (() => undefined), crash: undefined };
  }

  /**
   * `complete`: the parked rotation goes on from 'proven' through the ordinary switch → activate →
   * confirm. Idempotent, so a tick cut short (a write error) is finished by the next one: a switch
   * that did not happen is retried (its journal cleared again, so the agent's resume does not undo
   * the staged generation), one that did is finished here or was finished by resumeRotation.
   */
  private async complete(rotation: Omit<ApplyOptions, 'crashAfter'>): Promise<ApplyOutcome> {
    const c = this.context(rotation);
    const j = this.state.journal!;
    if ((await c.store.pointer())?.generation !== j.generation) {
      try {
        await recordStep(rotation.layout, j, 'proven', undefined, rotation.fs);
        await c.store.switchTo(j.generation, rotation.now);
      } catch (e) {
        await clearJournal(rotation.layout, rotation.fs).catch(() => undefined);
        throw e;
      }
      c.log({ event: 'rotation.switched', level: 'info', generation: j.generation, previous: j.before?.generation ?? null, canary: this.state.plan.id });
      await recordStep(rotation.layout, j, 'switched', undefined, rotation.fs);
    }
    const pending = (await readRotationState(rotation.layout)).journal;
    let outcome: ApplyOutcome;
    if (pending?.generation === j.generation) {
      outcome = await finishFromSwitched(c, pending);
    } else {
      const m = await c.store.material(j.generation);
      outcome = (await c.store.pointer())?.generation === j.generation
        ? { status: 'installed', generation: j.generation, serial: m.serial, notAfter: m.notAfter }
        : { status: 'rolled-back', code: 'CANARY_ACTIVATION_FAILED', message: 'the services did not take the new certificate; the previous one is active again' };
    }
    if (outcome.status === 'installed') {
      this.state.state = 'complete';
    } else {
      // A service refused the new certificate at activation: the old one is active again.
      this.state.state = 'rolled-back';
      this.state.rollbackReason = `activation after a complete canary failed: ${'message' in outcome ? outcome.message : outcome.status}`;
      this.runtime.failSafe(this.state.rollbackReason);
      this.state.exposurePercent = 0;
    }
    this.state.journal = null;
    this.state.finishedAt = rotation.now.toISOString();
    await writeCanaryState(rotation.layout, this.state, rotation.fs);
    c.log({ event: 'canary.finished', level: this.state.state === 'complete' ? 'info' : 'error', planId: this.state.plan.id, state: this.state.state, reason: this.state.rollbackReason });
    return outcome;
  }

  /** Rolled back: the old generation never stopped being active; the new one and its request go, the bundle counts as applied. */
  private async rollBack(rotation: Omit<ApplyOptions, 'crashAfter'>, st: 'rolled-back' | 'failed-safe'): Promise<ApplyOutcome> {
    const c = this.context(rotation);
    const j = this.state.journal!;
    const reason = st === 'failed-safe' ? `the rollout failed safe: ${this.runtime.failure}` : (this.state.lastDecision?.message ?? 'rolled back');
    this.state.state = st === 'failed-safe' ? 'failed-safe' : 'rolled-back';
    this.state.rollbackReason = reason;
    this.state.exposurePercent = 0;
    this.state.journal = null;
    this.state.finishedAt = rotation.now.toISOString();
    await c.store.discard(j.generation);
    await rm(rotation.layout.pending(j.requestId), { recursive: true, force: true });
    await updateRotationState(rotation.layout, (s) => {
      if (!s.applied.some((a) => a.bundleId === j.bundleId)) s.applied.push({ bundleId: j.bundleId, createdAt: j.bundleCreatedAt, generation: j.before?.generation ?? j.generation, appliedAt: rotation.now.toISOString() });
    }, rotation.fs);
    await writeCanaryState(rotation.layout, this.state, rotation.fs);
    c.log({ event: 'canary.rolled-back', level: 'error', planId: this.state.plan.id, generation: j.generation, reason });
    return { status: 'rolled-back', code: st === 'failed-safe' ? 'CANARY_FAILED_SAFE' : 'CANARY_ROLLED_BACK', message: `Canary rollout ${this.state.plan.id} of ${j.generation} rolled back: ${reason}; the previous certificate stays active` };
  }
}
