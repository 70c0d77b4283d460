import { SeededRandom } from '../../models/seeded-random.js';
import { CanaryController } from './canary-controller.js';
import type { CanaryPlan } from './canary-plan.js';
import type { Arm } from './handshake-observation.js';

/**
 * A deterministic rollout on one simulated host: a population of clients connecting at random,
 * some unable to validate the new chain, some slow; one strategy moving the exposure (the
 * controller with a plan, or a fixed schedule that never looks at the handshakes). The same seed
 * gives the same clients and the same arrivals for every strategy, so strategies are compared on
 * identical traffic.
 */

export interface Population {
  name: string;
  clients: number;
  /** Share of clients that cannot validate the new chain, and what their failure looks like. */
  incompatibleShare: number;
  incompatibleCause: string;
  /** Share of clients whose handshakes take `slowFactor` times as long, on both certificates. */
  slowShare: number;
  slowFactor: number;
  /** Every handshake with the new certificate takes this many times as long (a heavier key or a longer chain). */
  newSlowdown: number;
}

export type Strategy =
  | { name: string; kind: 'controller'; plan: CanaryPlan }
  | { name: string; kind: 'schedule'; steps: Array<{ atSeconds: number; exposurePercent: number }> };

export interface SimulationOptions {
  seed: number;
  /** Handshakes per second on the host (Poisson arrivals). */
  ratePerSecond: number;
  durationSeconds: number;
  /** Share of handshakes failing for reasons unrelated to the certificate (resets, timeouts). */
  baseFailureRate: number;
  medianHandshakeMs: number;
  /** Spread of ln(handshake ms). */
  handshakeSigma: number;
  startAt: number;
}

export interface SimulationResult {
  population: string;
  strategy: string;
  handshakes: number;
  /** Seconds from the start until exposure first reached 100%, or null. */
  secondsTo100: number | null;
  /** Seconds until the rollout was rolled back to 0%, or null; and the metric that decided it. */
  secondsToRollback: number | null;
  rollbackMetric: string | null;
  /** Handshakes that failed because the client could not validate the new chain. */
  failuresCaused: number;
  /** Distinct clients that had at least one such failure. */
  clientsAffected: number;
  /** Extra handshake time the new certificate cost its clients, in client-seconds. */
  extraHandshakeSeconds: number;
  finalExposure: number;
  finalState: string;
  /** The controller's last decision, or the schedule's. */
  lastReason: string;
}

export const DEFAULT_SIMULATION: SimulationOptions = {
  seed: 20260105,
  ratePerSecond: 20,
  durationSeconds: 4 * 86_400,
  baseFailureRate: 0.002,
  medianHandshakeMs: 30,
  handshakeSigma: 0.5,
  startAt: Date.parse('2026-01-05T00:00:00Z'),
};

export function simulateRollout(pop: Population, strategy: Strategy, o: SimulationOptions = DEFAULT_SIMULATION): SimulationResult {
  // Clients: a fixed split point each (sticky and monotone, as the real split), and their traits.
  const traits = new SeededRandom(o.seed, 1);
  const point = new Float64Array(pop.clients);
  const incompatible = new Uint8Array(pop.clients);
  const slow = new Uint8Array(pop.clients);
  for (let i = 0; i < pop.clients; i++) {
    point[i] = traits.nextFloat();
    incompatible[i] = traits.nextFloat() < pop.incompatibleShare ? 1 : 0;
    slow[i] = traits.nextFloat() < pop.slowShare ? 1 : 0;
  }
  const arrivals = new SeededRandom(o.seed, 2);
  const timing = new SeededRandom(o.seed, 3);

  let nowMs = o.startAt;
  const controller = strategy.kind === 'controller' ? new CanaryController(strategy.plan, { now: () => nowMs }) : null;
  const steps = strategy.kind === 'schedule' ? [...strategy.steps].sort((a, b) => a.atSeconds - b.atSeconds) : [];
  let stepIndex = 0;
  let scheduleExposure = 0;
  const exposure = () => (controller ? controller.exposure : scheduleExposure);

  const result: SimulationResult = {
    population: pop.name, strategy: strategy.name, handshakes: 0, secondsTo100: null, secondsToRollback: null, rollbackMetric: null,
    failuresCaused: 0, clientsAffected: 0, extraHandshakeSeconds: 0, finalExposure: 0, finalState: 'running', lastReason: '',
  };
  const affected = new Uint8Array(pop.clients);
  const endMs = o.startAt + o.durationSeconds * 1000;
  const lognormal = () => {
    const u = Math.max(timing.nextFloat(), 1e-12);
    const v = timing.nextFloat();
    return o.medianHandshakeMs * Math.exp(o.handshakeSigma * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
  };
  const noteExposure = () => {
    const e = exposure();
    const s = (nowMs - o.startAt) / 1000;
    if (e >= 100 && result.secondsTo100 === null) result.secondsTo100 = s;
    if (controller && controller.state === 'rolled-back' && result.secondsToRollback === null) result.secondsToRollback = s;
  };

  let running = true;
  for (;;) {
    nowMs += (-Math.log(1 - arrivals.nextFloat()) / o.ratePerSecond) * 1000;
    if (nowMs >= endMs) break;
    while (stepIndex < steps.length && nowMs >= o.startAt + steps[stepIndex].atSeconds * 1000) {
      scheduleExposure = steps[stepIndex++].exposurePercent;
      result.lastReason = `schedule: ${scheduleExposure}% at ${(steps[stepIndex - 1].atSeconds / 3600).toFixed(0)} h`;
      noteExposure();
    }
    if (controller && running && nowMs >= controller.nextEvaluationAt) {
      const d = controller.evaluateIfDue();
      if (d) {
        result.lastReason = `${d.action}: ${d.reason.metric}: ${d.reason.message}`;
        if (d.action === 'rollback') result.rollbackMetric = d.reason.metric;
        noteExposure();
      }
      running = controller.state === 'running';
    }

    const client = arrivals.nextInt(pop.clients);
    const noise = arrivals.nextFloat() < o.baseFailureRate;
    const e = exposure();
    const arm: Arm = e >= 100 || point[client] * 100 < e ? 'new' : 'old';
    result.handshakes++;
    let cause: string | null = null;
    if (arm === 'new' && incompatible[client]) {
      cause = pop.incompatibleCause;
      result.failuresCaused++;
      if (!affected[client]) {
        affected[client] = 1;
        result.clientsAffected++;
      }
    } else if (noise) {
      cause = 'error:ECONNRESET';
    }
    const needTiming = !cause && (running || (arm === 'new' && pop.newSlowdown !== 1));
    if (!needTiming) {
      if (controller && running) controller.record({ arm, at: nowMs, ok: false, cause: cause! });
      continue;
    }
    const base = lognormal() * (slow[client] ? pop.slowFactor : 1);
    const ms = arm === 'new' ? base * pop.newSlowdown : base;
    if (arm === 'new') result.extraHandshakeSeconds += (ms - base) / 1000;
    if (controller && running) controller.record({ arm, at: nowMs, ok: true, handshakeMs: ms, protocol: 'TLSv1.3', cipher: 'TLS_AES_128_GCM_SHA256' });
  }
  nowMs = endMs;
  result.finalExposure = exposure();
  result.finalState = controller ? controller.state : scheduleExposure >= 100 ? 'complete' : 'running';
  return result;
}
