import type { ActionType, RiskPolicy } from './policy-file.js';

/** What the policy sees of one scored certificate. */
export interface ScoredSubject {
  readonly host: string;
  readonly certSha256: string | null;
  readonly riskScore: number;
  readonly degradationScore: number;
  readonly predictedDegradationAt: string | null;
}

export interface ProposedAction {
  readonly action: ActionType;
  readonly host: string;
  /** null for host-wide actions (investigation). */
  readonly certSha256: string | null;
  readonly reason: string;
  readonly dueAt: string | null;
}

/** Whether the policy's emergency issuer exists and may issue: checked against the CA inventory by the caller. */
export interface EmergencyIssuerState {
  readonly usable: boolean;
  readonly why: string;
}

/**
 * The actions a scored certificate calls for. Every threshold reached proposes its action;
 * stronger ones do not replace weaker ones (an operator may reject a forced renewal but keep the
 * investigation). Investigation is per host; the others are per certificate.
 */
export function decideActions(p: RiskPolicy, s: ScoredSubject, now: Date, emergency: EmergencyIssuerState): ProposedAction[] {
  const out: ProposedAction[] = [];
  const risk = Math.round(s.riskScore);
  const add = (action: ActionType, reason: string, certSha256 = s.certSha256, dueAt: string | null = null) => out.push({ action, host: s.host, certSha256, reason, dueAt });
  if (risk >= p.alert.minRisk) add('alert', `risk ${risk} ≥ alert threshold ${p.alert.minRisk}`);
  if (risk >= p.investigation.minRisk) add('investigation', `risk ${risk} ≥ investigation threshold ${p.investigation.minRisk}`, null);
  if (s.certSha256 !== null && risk >= p.forcedRenewal.minRisk) add('forced-renewal', `risk ${risk} ≥ forced-renewal threshold ${p.forcedRenewal.minRisk}: renew with a new key`);
  if (s.certSha256 !== null && risk >= p.emergencyCertificate.minRisk && emergency.usable) {
    add('emergency-certificate', `risk ${risk} ≥ emergency threshold ${p.emergencyCertificate.minRisk}: short-lived certificate from ${emergency.why} while the renewal is pending`);
  }
  const degradation = Math.round(s.degradationScore);
  if (s.certSha256 !== null && degradation >= p.predictiveRenewal.minDegradation) {
    const due = s.predictedDegradationAt ? new Date(Math.max(now.getTime(), Date.parse(s.predictedDegradationAt) - p.predictiveRenewal.leadDays * 86_400_000)).toISOString() : now.toISOString();
    add('predictive-renewal', `degradation ${degradation} ≥ ${p.predictiveRenewal.minDegradation}${s.predictedDegradationAt ? `, predicted for ${s.predictedDegradationAt}` : ''}: renew by ${due}`, s.certSha256, due);
  }
  return out;
}
