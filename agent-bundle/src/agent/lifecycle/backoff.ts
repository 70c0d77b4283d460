import type { AgentConfig } from '../config/agent-config.js';
import type { RenewalState } from './agent-state-file.js';

export type RetryPolicy = AgentConfig['retry'];

/**
 * The delay before retry number `failures` (1 = after the first failure): initial × 2^(n−1),
 * capped at maxDelay, spread by ±jitter so a fleet that failed together does not retry together.
 * `random` is injected (Math.random in production) so tests are exact.
 */
export function backoffDelaySeconds(policy: RetryPolicy, failures: number, random: () => number): number {
  const base = failures >= policy.maxAttempts
    ? policy.maxDelaySeconds
    : Math.min(policy.maxDelaySeconds, policy.initialDelaySeconds * 2 ** Math.max(0, failures - 1));
  const spread = 1 + policy.jitter * (2 * random() - 1);
  return Math.max(1, Math.round(base * spread));
}

/**
 * The renewal state after a failure. Reaching maxAttempts gives up only in name: a device must
 * never stop trying, so 'gave-up' keeps retrying at the longest delay and says so in status/metrics.
 */
export function recordFailure(state: RenewalState, policy: RetryPolicy, now: Date, error: { code: string; message: string }, random: () => number): RenewalState {
  const failures = state.failures + 1;
  const delay = backoffDelaySeconds(policy, failures, random);
  return {
    ...state,
    status: failures >= policy.maxAttempts ? 'gave-up' : 'backoff',
    failures,
    nextAttemptAt: new Date(now.getTime() + delay * 1000).toISOString(),
    lastError: { ...error, at: now.toISOString() },
  };
}

/** May the agent try (again) at `now`? */
export function mayAttempt(state: RenewalState, now: Date): boolean {
  return !state.nextAttemptAt || now.getTime() >= Date.parse(state.nextAttemptAt);
}
