import type { CanaryPlan } from './canary-plan.js';
import { meanDifference, proportionDifference, ratioShortfall } from './canary-statistics.js';
import { logSd, type ArmSummary } from './metrics-window.js';

/**
 * Compares the new certificate's handshakes with the old certificate's on the same host, one
 * metric at a time. A metric is 'worse' only when it is worse beyond its threshold at the plan's
 * confidence; 'ok' means it is not (which, with few handshakes, may just mean "not yet known").
 */

export type CanaryMetric = 'hard-failure' | 'target' | 'success-rate' | 'handshake-time' | 'protocol';

export interface Finding {
  metric: CanaryMetric;
  verdict: 'worse' | 'ok';
  /** The compared values (rates as fractions, times in ms); null when a side has none. */
  newValue: number | null;
  oldValue: number | null;
  /** The confidence bound that decided and the limit it was held against, in the metric's unit (see message). */
  bound: number | null;
  limit: number;
  message: string;
}

const pct = (x: number, digits = 1) => `${(100 * x).toFixed(digits)}%`;
const pts = (x: number) => `${(100 * x).toFixed(2)} points`;

/** The failure cause whose rate on new exceeds old's the most. */
export function worstCause(old: ArmSummary, next: ArmSummary): { cause: string; newRate: number; oldRate: number } | null {
  let best: { cause: string; newRate: number; oldRate: number } | null = null;
  for (const [cause, count] of Object.entries(next.failedBy)) {
    const newRate = count / Math.max(next.attempted, 1);
    const oldRate = (old.failedBy[cause] ?? 0) / Math.max(old.attempted, 1);
    if (newRate > oldRate && (!best || newRate - oldRate > best.newRate - best.oldRate)) best = { cause, newRate, oldRate };
  }
  return best;
}

function causeNote(old: ArmSummary, next: ArmSummary): string {
  const w = worstCause(old, next);
  return w ? `; most of it ${w.cause} (${pct(w.newRate)} of new's handshakes vs ${pct(w.oldRate)} of old's)` : '';
}

/** Extra variance of old's success rate when this host swings more from bucket to bucket than coin flips would. */
function spreadVariance(s: ArmSummary): number {
  return s.bucketRates.buckets >= 3 ? (s.bucketRates.sd * s.bucketRates.sd) / s.bucketRates.buckets : 0;
}

export function hardFailureFinding(plan: CanaryPlan, old: ArmSummary, next: ArmSummary): Finding {
  const { causes, burstCount, burstPercent } = plan.thresholds.hardFailure;
  const counts = (s: ArmSummary) => causes.reduce((sum, c) => sum + (s.failedBy[c] ?? 0), 0);
  const hardNew = counts(next);
  const rateNew = hardNew / Math.max(next.attempted, 1);
  const rateOld = counts(old) / Math.max(old.attempted, 1);
  const limit = burstPercent / 100;
  const worse = hardNew >= burstCount && rateNew - rateOld >= limit;
  const top = causes.map((c) => [c, next.failedBy[c] ?? 0] as const).sort((a, b) => b[1] - a[1])[0];
  return {
    metric: 'hard-failure', verdict: worse ? 'worse' : 'ok', newValue: rateNew, oldValue: rateOld, bound: rateNew - rateOld, limit,
    message: `${hardNew} certificate rejections on new (${pct(rateNew)} of ${next.attempted} handshakes${top && top[1] ? `, most ${top[0]} ×${top[1]}` : ''}) vs ${pct(rateOld)} on old; rollback at ${burstCount} and ${burstPercent} points above old`,
  };
}

export function targetFinding(plan: CanaryPlan, old: ArmSummary, next: ArmSummary, z: number): Finding {
  const target = plan.targetSuccessPercent / 100;
  const s = ratioShortfall(old.succeeded, old.attempted, next.succeeded, next.attempted, target, z, spreadVariance(old));
  const pOld = old.succeeded / Math.max(old.attempted, 1);
  const pNew = next.succeeded / Math.max(next.attempted, 1);
  return {
    metric: 'target', verdict: s.lower > 0 ? 'worse' : 'ok', newValue: pNew, oldValue: pOld, bound: s.lower, limit: 0,
    message: `success rate ${pct(pNew)} on new vs ${pct(pOld)} on old: new keeps ${pOld ? pct(pNew / pOld) : 'n/a'} of old's, target ${plan.targetSuccessPercent}%${s.lower > 0 ? ` (confidently below by ${pts(s.lower)})` : ''}${causeNote(old, next)}`,
  };
}

export function successRateFinding(plan: CanaryPlan, old: ArmSummary, next: ArmSummary, z: number): Finding & { excessUpper: number } {
  const d = proportionDifference(old.succeeded, old.attempted, next.succeeded, next.attempted, z, spreadVariance(old));
  const limit = plan.thresholds.successRate.maxDropPercent / 100;
  const pOld = old.succeeded / Math.max(old.attempted, 1);
  const pNew = next.succeeded / Math.max(next.attempted, 1);
  return {
    metric: 'success-rate', verdict: d.lower > limit ? 'worse' : 'ok', newValue: pNew, oldValue: pOld, bound: d.lower, limit,
    excessUpper: Math.max(0, d.upper),
    message: `success rate ${pct(pNew, 2)} on new (${next.attempted}) vs ${pct(pOld, 2)} on old (${old.attempted}): ${pts(pOld - pNew)} lower, at least ${pts(d.lower)} and at most ${pts(d.upper)}; limit ${pts(limit)}${causeNote(old, next)}`,
  };
}

export function handshakeTimeFinding(plan: CanaryPlan, old: ArmSummary, next: ArmSummary, z: number): Finding {
  const limit = plan.thresholds.handshakeTime.maxRatio;
  if (old.logMs.n < 2 || next.logMs.n < 2) {
    return { metric: 'handshake-time', verdict: 'ok', newValue: next.geoMeanMs, oldValue: old.geoMeanMs, bound: null, limit, message: 'handshake time: too few timed handshakes to compare' };
  }
  const d = meanDifference(old.logMs.n, old.logMs.sum / old.logMs.n, logSd(old), next.logMs.n, next.logMs.sum / next.logMs.n, logSd(next), z);
  const ratioLow = Math.exp(d.lower);
  return {
    metric: 'handshake-time', verdict: ratioLow > limit ? 'worse' : 'ok', newValue: next.geoMeanMs, oldValue: old.geoMeanMs, bound: ratioLow, limit,
    message: `handshake time ${next.geoMeanMs!.toFixed(2)} ms on new vs ${old.geoMeanMs!.toFixed(2)} ms on old (geometric means; p95 ${next.p95Ms?.toFixed(1)} vs ${old.p95Ms?.toFixed(1)} ms): ×${Math.exp(d.estimate).toFixed(2)}, at least ×${ratioLow.toFixed(2)}; limit ×${limit}`,
  };
}

export function protocolFinding(plan: CanaryPlan, old: ArmSummary, next: ArmSummary, z: number): Finding {
  const limit = plan.thresholds.protocol.maxLegacyIncreasePercent / 100;
  if (!old.withProtocol || !next.withProtocol) {
    return { metric: 'protocol', verdict: 'ok', newValue: null, oldValue: null, bound: null, limit, message: 'negotiated protocol: not reported' };
  }
  // Legacy share of new minus legacy share of old: proportionDifference(a, b) is a − b.
  const d = proportionDifference(next.legacyProtocol, next.withProtocol, old.legacyProtocol, old.withProtocol, z);
  const sNew = next.legacyProtocol / next.withProtocol;
  const sOld = old.legacyProtocol / old.withProtocol;
  return {
    metric: 'protocol', verdict: d.lower > limit ? 'worse' : 'ok', newValue: sNew, oldValue: sOld, bound: d.lower, limit,
    message: `handshakes below TLS 1.3: ${pct(sNew)} on new vs ${pct(sOld)} on old (at least ${pts(d.lower)} more); limit ${pts(limit)}`,
  };
}

/** The soft comparisons (everything but hard failures and the target), most important first. */
export function compareArms(plan: CanaryPlan, old: ArmSummary, next: ArmSummary, z: number): { findings: Finding[]; excessUpper: number } {
  const success = successRateFinding(plan, old, next, z);
  const { excessUpper, ...successFinding } = success;
  return {
    findings: [successFinding, handshakeTimeFinding(plan, old, next, z), protocolFinding(plan, old, next, z)],
    excessUpper,
  };
}
