import type { CanaryPlan } from './canary-plan.js';

/**
 * How far exposure moves once the controller has decided the direction. The controller decides
 * *whether* (hard failures, target, worse metrics, settling); a policy decides *how much*.
 */
export interface StepInput {
  /** Current exposure, percent. */
  exposure: number;
  /**
   * Upper confidence bound of how many more handshakes (fraction of new's) fail on new than on old,
   * counted since the last change; 0 when new looks at least as good.
   */
  excessFailureUpper: number;
}

export interface StepResult {
  to: number;
  /** What held the step back, for the decision's reason. */
  limitedBy: 'step' | 'growth' | 'max-step' | 'budget' | 'full' | 'floor';
  note: string;
}

export interface StepPolicy {
  readonly name: string;
  increase(input: StepInput): StepResult;
  /** A result of 0 means rolled back. */
  decrease(input: StepInput): StepResult;
}

/** Exposures live on nginx's split_clients grid (hundredths of a percent) so every front splits alike. */
export function onGrid(percent: number): number {
  return Math.min(100, Math.max(0, Math.floor(percent * 100 + 1e-9) / 100));
}

/** The baseline: one fixed step up after each settled good analysis, one down after each worse one. */
export function fixedStepPolicy(stepPercent: number): StepPolicy {
  return {
    name: `fixed ±${stepPercent}%`,
    increase: ({ exposure }) => {
      const to = onGrid(Math.min(100, exposure + stepPercent));
      return { to, limitedBy: to === 100 ? 'full' : 'step', note: `fixed step of ${stepPercent} points` };
    },
    decrease: ({ exposure }) => {
      const to = onGrid(exposure - stepPercent);
      return to <= 0 ? { to: 0, limitedBy: 'floor', note: `a ${stepPercent}-point step down reaches 0` } : { to, limitedBy: 'step', note: `fixed step of ${stepPercent} points` };
    },
  };
}

/**
 * The default: multiplicative increase, bounded by a failure budget taken from the confidence bound
 * of the failure-rate difference, and a sharp multiplicative decrease. Early on the bound is wide
 * and the budget keeps the steps small; as handshakes accumulate without failures it tightens and
 * the exposure doubles; when new is confidently worse, three quarters of its clients go back to
 * old at once.
 */
export function adaptiveStepPolicy(opts: { growthFactor: number; maxStepPercent: number; failureBudgetPercent: number; decreaseFactor: number; minExposurePercent: number }): StepPolicy {
  const { growthFactor, maxStepPercent, failureBudgetPercent, decreaseFactor, minExposurePercent } = opts;
  return {
    name: `adaptive ×${growthFactor} / ×${decreaseFactor}, budget ${failureBudgetPercent}%`,
    increase: ({ exposure, excessFailureUpper }) => {
      const growth = exposure * growthFactor;
      const step = exposure + maxStepPercent;
      // e'/100 · excess ≤ budget/100: at exposure e', at most `budget` percent of all handshakes fail because of new.
      const budget = excessFailureUpper > 0 ? failureBudgetPercent / excessFailureUpper : Infinity;
      const limits: Array<[number, StepResult['limitedBy'], string]> = [
        [100, 'full', 'full exposure'],
        [growth, 'growth', `growth ×${growthFactor}`],
        [step, 'max-step', `at most ${maxStepPercent} points at once`],
        [budget, 'budget', `failure budget ${failureBudgetPercent}% of all handshakes with new failing up to ${(100 * excessFailureUpper).toFixed(2)} points more often than old`],
      ];
      const [to, limitedBy, note] = limits.reduce((a, b) => (b[0] < a[0] ? b : a));
      return { to: Math.max(exposure, onGrid(to)), limitedBy, note };
    },
    decrease: ({ exposure }) => {
      const to = onGrid(exposure * decreaseFactor);
      return to < minExposurePercent
        ? { to: 0, limitedBy: 'floor', note: `×${decreaseFactor} would fall below the ${minExposurePercent}% floor` }
        : { to, limitedBy: 'step', note: `×${decreaseFactor}` };
    },
  };
}

export function stepPolicyFor(plan: CanaryPlan): StepPolicy {
  const s = plan.step;
  return s.policy === 'fixed' ? fixedStepPolicy(s.stepPercent) : adaptiveStepPolicy({ ...s, minExposurePercent: plan.minExposurePercent });
}
