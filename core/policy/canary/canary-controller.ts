import type { CanaryPlan } from './canary-plan.js';
import { normalQuantile } from './canary-statistics.js';
import type { Arm, HandshakeObservation } from './handshake-observation.js';
import { compareArms, hardFailureFinding, targetFinding, type CanaryMetric, type Finding } from './metric-comparison.js';
import { MetricsWindow, type ArmSummary } from './metrics-window.js';
import { onGrid, stepPolicyFor, type StepPolicy } from './step-policy.js';

/**
 * The canary controller: decides, every `evaluateEverySeconds`, how much of a host's TLS traffic the
 * new certificate serves. Plain and passive: it owns no timer and no socket; the executor (the
 * agent's TLS front, or a log reader beside HAProxy/nginx) feeds it handshakes and calls
 * evaluateIfDue() on its own cadence, and the clock is injected, so tests and the simulation drive
 * hours of rollout in milliseconds.
 *
 * Order of the checks, most severe first: a burst of certificate rejections rolls back to 0; new
 * keeping confidently less than the target share of old's success rolls back; any metric
 * confidently worse than its threshold decreases; otherwise, once the last change has settled,
 * the step policy increases; a full exposure held for `confirmSeconds` completes the rollout.
 */

export type CanaryState = 'running' | 'complete' | 'rolled-back';
export type CanaryAction = 'increase' | 'decrease' | 'hold' | 'rollback' | 'complete';

export interface DecisionReason {
  metric: CanaryMetric | 'volume' | 'settling' | 'evidence' | 'confirming' | 'executor';
  message: string;
}

export interface ArmDigest {
  attempted: number;
  succeeded: number;
  successRate: number | null;
  geoMeanMs: number | null;
  p95Ms: number | null;
  failedBy: Record<string, number>;
}

export interface CanaryDecision {
  at: number;
  action: CanaryAction;
  from: number;
  to: number;
  /** State after the decision. */
  state: CanaryState;
  reason: DecisionReason;
  findings: Finding[];
  /** The recent window the decision looked at; `baseline` says where old's figures came from. */
  observed: { old: ArmDigest; new: ArmDigest; baseline: 'recent' | 'evidence' | 'frozen' | 'none' };
}

export interface ExposureChange {
  at: number;
  from: number;
  to: number;
  action: CanaryAction;
  metric: DecisionReason['metric'];
}

/** What the agent reports in its metric bundles and the console shows. */
export interface CanaryProgress {
  planId: string;
  policy: string;
  state: CanaryState;
  exposurePercent: number;
  activeCertificate: Arm;
  startedAt: number;
  lastChangeAt: number;
  changes: ExposureChange[];
  lastDecision: CanaryDecision | null;
}

export interface CanaryControllerOptions {
  /** Milliseconds since the epoch; injected so tests and simulations own time. */
  now: () => number;
  /** Overrides the plan's step policy (simulations compare several). */
  policy?: StepPolicy;
}

const MAX_DECISIONS = 500;
const MAX_CHANGES = 10_000;

function digest(s: ArmSummary): ArmDigest {
  return { attempted: s.attempted, succeeded: s.succeeded, successRate: s.attempted ? s.succeeded / s.attempted : null, geoMeanMs: s.geoMeanMs, p95Ms: s.p95Ms, failedBy: s.failedBy };
}

export class CanaryController {
  readonly plan: CanaryPlan;
  readonly policy: StepPolicy;
  private readonly now: () => number;
  private readonly window: MetricsWindow;
  private readonly z: number;
  private readonly everyMs: number;
  private currentExposure: number;
  private currentState: CanaryState = 'running';
  private readonly startedAt: number;
  private lastChangeAt: number;
  private fullSince: number | null = null;
  private nextDue: number;
  private frozenBaseline: ArmSummary | null = null;
  private readonly decisionLog: CanaryDecision[] = [];
  private readonly changeLog: ExposureChange[] = [];

  constructor(plan: CanaryPlan, opts: CanaryControllerOptions) {
    this.plan = plan;
    this.now = opts.now;
    this.policy = opts.policy ?? stepPolicyFor(plan);
    this.z = normalQuantile(plan.analysis.confidencePercent / 100);
    this.everyMs = plan.analysis.evaluateEverySeconds * 1000;
    this.startedAt = this.now();
    this.lastChangeAt = this.startedAt;
    this.currentExposure = onGrid(plan.initialExposurePercent);
    if (this.currentExposure === 100) this.fullSince = this.startedAt;
    this.nextDue = this.startedAt + this.everyMs;
    this.window = new MetricsWindow(this.startedAt);
  }

  /** Percent of clients the new certificate serves now. */
  get exposure(): number {
    return this.currentExposure;
  }

  get state(): CanaryState {
    return this.currentState;
  }

  /** The certificate a client outside the canary split gets, and the one to keep after the rollout. */
  get activeCertificate(): Arm {
    return this.currentState === 'complete' ? 'new' : 'old';
  }

  get nextEvaluationAt(): number {
    return this.nextDue;
  }

  get decisions(): readonly CanaryDecision[] {
    return this.decisionLog;
  }

  get changes(): readonly ExposureChange[] {
    return this.changeLog;
  }

  /** The exposure that was in force at time t (for attributing proxy log lines after the fact). */
  exposureAt(t: number): number {
    if (t < this.startedAt) return 0;
    let e = onGrid(this.plan.initialExposurePercent);
    for (const c of this.changeLog) {
      if (c.at > t) break;
      e = c.to;
    }
    return e;
  }

  record(o: HandshakeObservation): void {
    if (o.arm !== 'old' && o.arm !== 'new') throw new TypeError(`handshake observation arm must be 'old' or 'new', got ${String(o.arm)}`);
    if (!Number.isFinite(o.at)) throw new TypeError(`handshake observation time must be a number of ms, got ${String(o.at)}`);
    this.window.record(o);
  }

  /** Evaluates when an evaluation is due (once, however far the clock jumped); null otherwise. */
  evaluateIfDue(): CanaryDecision | null {
    const now = this.now();
    if (now < this.nextDue) return null;
    this.nextDue = now + this.everyMs;
    if (this.currentState !== 'running') {
      this.housekeep(now);
      return null;
    }
    return this.evaluate();
  }

  /** Evaluates now, whatever the cadence. */
  evaluate(): CanaryDecision {
    const now = this.now();
    const decision = this.decide(now);
    this.housekeep(now);
    return decision;
  }

  /**
   * The executor could not run the rollout (the new key does not load, the controller threw, the
   * front cannot split): back to 0 and stay there.
   */
  abort(message: string): CanaryDecision {
    const now = this.now();
    const observed = { old: digest(this.window.summarize('old', this.lastChangeAt)), new: digest(this.window.summarize('new', this.lastChangeAt)), baseline: 'none' as const };
    return this.commit(now, 'rollback', 0, { metric: 'executor', message }, [], observed);
  }

  /** Handshake statistics of one certificate since `from` (kept for evidenceSeconds), for metric bundles. */
  handshakeStats(arm: Arm, from: number): ArmSummary {
    return this.window.summarize(arm, from);
  }

  progress(): CanaryProgress {
    return {
      planId: this.plan.id, policy: this.policy.name, state: this.currentState, exposurePercent: this.currentExposure,
      activeCertificate: this.activeCertificate, startedAt: this.startedAt, lastChangeAt: this.lastChangeAt,
      changes: [...this.changeLog], lastDecision: this.decisionLog[this.decisionLog.length - 1] ?? null,
    };
  }

  private housekeep(now: number): void {
    this.window.cut(now);
    const keepMs = Math.max(this.plan.analysis.evidenceSeconds, this.plan.analysis.windowSeconds) * 1000 + this.everyMs;
    this.window.prune(now - keepMs);
  }

  /** Old's figures to compare against: recent if there are enough, else the evidence range, else the last rich sample. */
  private baseline(recent: ArmSummary, evidence: ArmSummary): { s: ArmSummary | null; kind: CanaryDecision['observed']['baseline'] } {
    const min = this.plan.analysis.minHandshakes;
    if (evidence.attempted >= min) this.frozenBaseline = evidence;
    if (recent.attempted >= min) return { s: recent, kind: 'recent' };
    if (evidence.attempted >= min) return { s: evidence, kind: 'evidence' };
    return this.frozenBaseline ? { s: this.frozenBaseline, kind: 'frozen' } : { s: null, kind: 'none' };
  }

  private decide(now: number): CanaryDecision {
    const a = this.plan.analysis;
    const from = this.currentExposure;
    if (this.currentState !== 'running') {
      const s = this.window.summarize('new', now);
      return this.noChange(now, 'hold', from, { metric: 'confirming', message: `rollout is ${this.currentState}` }, [], { old: digest(s), new: digest(s), baseline: 'none' });
    }
    // Half an interval of slack so a timer firing a little late does not shrink the window by a bucket.
    const recentFrom = Math.max(this.lastChangeAt, now - a.windowSeconds * 1000 - this.everyMs / 2);
    // The evidence range does not restart at a change: how often new fails is a property of the
    // clients, not of the exposure, so what was learnt at 20% still counts at 5% after a decrease.
    const evidenceFrom = now - a.evidenceSeconds * 1000;
    const newRecent = this.window.summarize('new', recentFrom);
    const oldRecent = this.window.summarize('old', recentFrom);
    const oldEvidence = this.window.summarize('old', evidenceFrom);
    const base = this.baseline(oldRecent, oldEvidence);
    const observed = { old: digest(base.s ?? oldRecent), new: digest(newRecent), baseline: base.kind };
    const baseOrEmpty = base.s ?? oldRecent;

    const hard = hardFailureFinding(this.plan, baseOrEmpty, newRecent);
    if (hard.verdict === 'worse') return this.commit(now, 'rollback', 0, { metric: 'hard-failure', message: hard.message }, [hard], observed);

    if (!base.s) {
      return this.noChange(now, 'hold', from, { metric: 'volume', message: `${oldRecent.attempted} handshakes on the old certificate and no earlier baseline, ${a.minHandshakes} needed` }, [hard], observed);
    }

    // The recent window decides quickly when it holds enough handshakes…
    const enoughRecent = newRecent.attempted >= a.minHandshakes;
    let findings: Finding[] = [hard];
    if (enoughRecent) {
      const verdict = this.judge(now, base.s, newRecent, hard, observed);
      if ('decision' in verdict) return verdict.decision;
      findings = verdict.findings;
    }
    if (from === 100) {
      if (!enoughRecent) return this.noChange(now, 'hold', from, { metric: 'volume', message: `${newRecent.attempted} handshakes at full exposure in the window, ${a.minHandshakes} needed` }, findings, observed);
      const held = now - (this.fullSince ?? now);
      if (held >= this.plan.confirmSeconds * 1000) {
        return this.commit(now, 'complete', 100, { metric: 'confirming', message: `full exposure held ${Math.round(held / 1000)} s with nothing worse; the new certificate is the active one` }, findings, observed);
      }
      return this.noChange(now, 'hold', from, { metric: 'confirming', message: `full exposure for ${Math.round(held / 1000)} of ${this.plan.confirmSeconds} s` }, findings, observed);
    }
    const settled = now - this.lastChangeAt;
    if (settled < a.settleSeconds * 1000) {
      const why = enoughRecent ? 'nothing worse so far' : `${newRecent.attempted} handshakes on new since, ${a.minHandshakes} needed to judge`;
      return this.noChange(now, 'hold', from, { metric: 'settling', message: `${Math.round(settled / 1000)} of ${a.settleSeconds} s since the last change; ${why}` }, findings, observed);
    }

    // …and once settled the whole evidence range decides, which also catches a small exposure
    // whose recent window stays too thin to judge.
    const newEvidence = this.window.summarize('new', evidenceFrom);
    if (newEvidence.attempted < a.minHandshakes) {
      return this.noChange(now, 'hold', from, { metric: 'volume', message: `${newEvidence.attempted} handshakes on the new certificate in the last ${a.evidenceSeconds} s, ${a.minHandshakes} needed` }, findings, observed);
    }
    const evidenceBase = oldEvidence.attempted >= a.minHandshakes ? oldEvidence : base.s;
    const verdict = this.judge(now, evidenceBase, newEvidence, hard, observed);
    if ('decision' in verdict) return verdict.decision;

    const step = this.policy.increase({ exposure: from, excessFailureUpper: verdict.excessUpper });
    if (step.to <= from) {
      return this.noChange(now, 'hold', from, { metric: 'evidence', message: `no room to grow yet: ${step.note} (${newEvidence.attempted} handshakes on new in the last ${a.evidenceSeconds} s)` }, verdict.findings, observed);
    }
    return this.commit(now, 'increase', step.to, { metric: 'evidence', message: `nothing worse on ${newEvidence.attempted} handshakes on new in the last ${a.evidenceSeconds} s; ${from}% → ${step.to}% (${step.note})` }, verdict.findings, observed);
  }

  /** Target then soft metrics on one range: a rollback or decrease, or the findings and the failure excess bound. */
  private judge(now: number, old: ArmSummary, next: ArmSummary, hard: Finding, observed: CanaryDecision['observed']): { decision: CanaryDecision } | { findings: Finding[]; excessUpper: number } {
    const target = targetFinding(this.plan, old, next, this.z);
    if (target.verdict === 'worse') return { decision: this.commit(now, 'rollback', 0, { metric: 'target', message: target.message }, [hard, target], observed) };
    const soft = compareArms(this.plan, old, next, this.z);
    const findings = [hard, target, ...soft.findings];
    const worse = soft.findings.find((f) => f.verdict === 'worse');
    if (worse) return { decision: this.stepDown(now, worse, findings, observed, soft.excessUpper) };
    return { findings, excessUpper: soft.excessUpper };
  }

  private stepDown(now: number, worse: Finding, findings: Finding[], observed: CanaryDecision['observed'], excessUpper: number): CanaryDecision {
    const step = this.policy.decrease({ exposure: this.currentExposure, excessFailureUpper: excessUpper });
    const action: CanaryAction = step.to === 0 ? 'rollback' : 'decrease';
    return this.commit(now, action, step.to, { metric: worse.metric, message: `${worse.message}; ${this.currentExposure}% → ${step.to}% (${step.note})` }, findings, observed);
  }

  /** A decision that changes nothing. */
  private noChange(now: number, action: CanaryAction, to: number, reason: DecisionReason, findings: Finding[], observed: CanaryDecision['observed']): CanaryDecision {
    const d: CanaryDecision = { at: now, action, from: this.currentExposure, to, state: this.currentState, reason, findings, observed };
    this.remember(d);
    return d;
  }

  private commit(now: number, action: CanaryAction, to: number, reason: DecisionReason, findings: Finding[], observed: CanaryDecision['observed']): CanaryDecision {
    const from = this.currentExposure;
    if (action === 'rollback') this.currentState = 'rolled-back';
    if (action === 'complete') this.currentState = 'complete';
    if (to !== from) {
      this.currentExposure = to;
      this.lastChangeAt = now;
      this.fullSince = to === 100 ? now : null;
      this.window.cut(now);
      this.changeLog.push({ at: now, from, to, action, metric: reason.metric });
      if (this.changeLog.length > MAX_CHANGES) this.changeLog.shift();
    }
    const d: CanaryDecision = { at: now, action, from, to, state: this.currentState, reason, findings, observed };
    this.remember(d);
    return d;
  }

  private remember(d: CanaryDecision): void {
    this.decisionLog.push(d);
    if (this.decisionLog.length > MAX_DECISIONS) this.decisionLog.shift();
  }
}
