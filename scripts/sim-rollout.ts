// npm run sim:rollout [-- --seed N --rate R --days D --json]
// Deterministic comparison of the adaptive canary controller with fixed schedules over client
// populations; prints one row per population and strategy.
import { defaultCanaryPlan } from '../core/policy/canary/canary-plan.js';
import { DEFAULT_SIMULATION, simulateRollout, type Population, type SimulationResult, type Strategy } from '../core/policy/canary/rollout-simulation.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v <= 0) {
    process.stderr.write(`--${name} needs a positive number, got '${process.argv[i + 1]}'\n`);
    process.exit(2);
  }
  return v;
}

const options = {
  ...DEFAULT_SIMULATION,
  seed: arg('seed', DEFAULT_SIMULATION.seed),
  ratePerSecond: arg('rate', DEFAULT_SIMULATION.ratePerSecond),
  durationSeconds: Math.round(arg('days', DEFAULT_SIMULATION.durationSeconds / 86_400) * 86_400),
};

const base: Omit<Population, 'name'> = { clients: 20_000, incompatibleShare: 0, incompatibleCause: 'alert:unknown_ca', slowShare: 0, slowFactor: 1, newSlowdown: 1 };
const populations: Population[] = [
  { ...base, name: 'all compatible' },
  { ...base, name: '2% cannot validate (unknown_ca)', incompatibleShare: 0.02 },
  { ...base, name: '10% cannot validate (unknown_ca)', incompatibleShare: 0.1 },
  { ...base, name: '30% cannot validate (unknown_ca)', incompatibleShare: 0.3 },
  { ...base, name: '30% cannot validate, silent hang-up', incompatibleShare: 0.3, incompatibleCause: 'error:closed_during_handshake' },
  { ...base, name: '20% slow clients (x5, both certs)', slowShare: 0.2, slowFactor: 5 },
  { ...base, name: 'new chain slower for all (x2)', newSlowdown: 2 },
];

const DAY = 86_400;
const strategies: Strategy[] = [
  { name: 'adaptive (default)', kind: 'controller', plan: defaultCanaryPlan('sim') },
  { name: 'fixed ±1%', kind: 'controller', plan: defaultCanaryPlan('sim', { step: { policy: 'fixed', stepPercent: 1 } }) },
  { name: 'daily 5→25→50→100', kind: 'schedule', steps: [{ atSeconds: 0, exposurePercent: 5 }, { atSeconds: DAY, exposurePercent: 25 }, { atSeconds: 2 * DAY, exposurePercent: 50 }, { atSeconds: 3 * DAY, exposurePercent: 100 }] },
];

function duration(s: number | null): string {
  if (s === null) return '—';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.round(s / 60)} min`;
  if (s < 2 * DAY) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / DAY).toFixed(1)} d`;
}

const started = performance.now();
const results: SimulationResult[] = [];
for (const p of populations) for (const s of strategies) results.push(simulateRollout(p, s, options));

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify({ options, results }, null, 2)}\n`);
} else {
  const header = ['population', 'strategy', 'time to 100%', 'time to rollback', 'failed handshakes caused', 'clients hit', 'extra hs time (client-s)', 'final'];
  const rows = results.map((r) => [
    r.population, r.strategy, duration(r.secondsTo100), r.secondsToRollback === null ? '—' : `${duration(r.secondsToRollback)} (${r.rollbackMetric})`, String(r.failuresCaused), String(r.clientsAffected),
    r.extraHandshakeSeconds.toFixed(0), `${r.finalState} at ${r.finalExposure}%`,
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i])).join(' | ')} |`;
  process.stdout.write(`Canary rollout simulation: seed ${options.seed}, ${options.ratePerSecond} handshakes/s from 20000 clients, ${options.durationSeconds / DAY} days, ${(100 * options.baseFailureRate).toFixed(1)}% unrelated failures on both certificates\n\n`);
  process.stdout.write(`${line(header)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|\n${rows.map(line).join('\n')}\n`);
  process.stdout.write(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)\n`);
}
