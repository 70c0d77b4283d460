import type { CountMap, MetricSample } from '../payloads/metrics-schema.js';
import { rebalance, type HostProfile, type MetricScenario, type SampleContext } from './metric-generator.js';

/**
 * Labelled scenarios for evaluating the risk models. Each affects some hosts from a step of its
 * own (drawn deterministically from the host index and the scenario seed) and says so through
 * `label`, which the evaluation compares with the detectors' alarms:
 * - compromise: a stolen key used from elsewhere — clients from never-seen networks, and
 *   handshake surges in the host's night;
 * - misconfiguration: a deploy that breaks the chain — handshakes failing with certificate alerts
 *   and certificate-validation errors in the logs;
 * - degradation: handshake time creeping up a few percent a day (the forecast's target);
 * - benign: traffic growth, a release (slightly slower handshakes, more CPU) and a holiday, on
 *   every host: negatives that must not alarm.
 */

export type RiskScenarioName = 'compromise' | 'misconfiguration' | 'degradation' | 'benign';
export const RISK_SCENARIOS: readonly RiskScenarioName[] = ['compromise', 'misconfiguration', 'degradation', 'benign'];

export interface IncidentLabel {
  readonly kind: RiskScenarioName;
  /** First affected step, and the step after the last (end exclusive). */
  readonly start: number;
  readonly end: number;
}

export interface LabelledScenario extends MetricScenario {
  readonly name: RiskScenarioName;
  /** The incident of a host, or null when the host is unaffected (or the change is benign). */
  label(host: HostProfile): IncidentLabel | null;
}

export interface RiskScenarioOptions {
  seed: number;
  intervalS: number;
  /** Incidents start at a step drawn from [startFrom, startTo). */
  startFrom: number;
  startTo: number;
  /** Steps an incident lasts (compromise and misconfiguration); degradation runs to the end. */
  duration?: number;
  /** Growth of handshake times a day under degradation; default 0.025 (the p95 doubles in about four weeks). */
  degradationPerDay?: number;
  /** Share of hosts affected; default 0.5 (benign: all hosts). */
  share?: number;
}

function mix(a: number, b: number): number {
  let h = Math.imul(a ^ 0x9e3779b9, 0x85ebca6b) ^ Math.imul(b + 0x632be5ab, 0xc2b2ae35);
  h ^= h >>> 15;
  h = Math.imul(h, 0x2c1b3c6d);
  h ^= h >>> 12;
  return (h >>> 0) / 2 ** 32;
}

const localHour = (ctx: SampleContext) => (ctx.t.getUTCHours() + ctx.host.utcOffsetHours + 24) % 24;

function scaleTraffic(s: MetricSample, factor: number, rngCtx: SampleContext): void {
  s.hs_attempted = Math.round(s.hs_attempted * factor);
  s.hs_succeeded = Math.round(s.hs_succeeded * factor);
  s.hs_failed = s.hs_attempted - s.hs_succeeded >= s.hs_failed * factor ? Math.round(s.hs_failed * factor) : s.hs_attempted - s.hs_succeeded;
  s.client_ips_distinct = Math.round(s.client_ips_distinct * Math.sqrt(factor));
  s.client_ips_new = Math.round(s.client_ips_new * Math.sqrt(factor));
  s.net_rx_bytes = Math.round(s.net_rx_bytes * factor);
  s.net_tx_bytes = Math.round(s.net_tx_bytes * factor);
  rebalance(s, rngCtx.rng);
}

export function riskScenario(name: RiskScenarioName, o: RiskScenarioOptions): LabelledScenario {
  const share = o.share ?? (name === 'benign' ? 1 : 0.5);
  const stepsPerDay = 86_400 / o.intervalS;
  const duration = o.duration ?? 2 * stepsPerDay;
  const labels = new Map<number, IncidentLabel | null>();
  const label = (h: HostProfile): IncidentLabel | null => {
    let l = labels.get(h.index);
    if (l === undefined) {
      const affected = mix(o.seed, h.index) < share;
      const start = o.startFrom + Math.floor(mix(o.seed + 1, h.index) * (o.startTo - o.startFrom));
      l = affected && name !== 'benign' ? { kind: name, start, end: name === 'degradation' ? Number.MAX_SAFE_INTEGER : start + duration } : null;
      labels.set(h.index, l);
    }
    return l;
  };
  const apply = (s: MetricSample, ctx: SampleContext): void => {
    if (name === 'benign') return benign(s, ctx, o);
    const l = label(ctx.host);
    if (!l || ctx.step < l.start || ctx.step >= l.end) return;
    if (name === 'compromise') compromise(s, ctx);
    else if (name === 'misconfiguration') misconfiguration(s, ctx);
    else degradation(s, (ctx.step - l.start) / stepsPerDay, o.degradationPerDay ?? 0.025);
  };
  return { name, label, apply };
}

/** Clients from never-seen networks, and in the host's night (00–05 local) a surge of handshakes. */
function compromise(s: MetricSample, ctx: SampleContext): void {
  const night = localHour(ctx) < 5;
  const extraClients = Math.max(20, Math.round(s.client_ips_distinct * (night ? 1.5 : 0.35)));
  const extraHandshakes = Math.round(extraClients * (night ? 8 : 2) * (ctx.intervalS / 300));
  s.hs_attempted += extraHandshakes;
  s.hs_succeeded += extraHandshakes;
  s.client_ips_distinct += extraClients;
  s.client_ips_new += extraClients;
  s.net_rx_bytes += extraHandshakes * 3000;
  s.net_tx_bytes += extraHandshakes * 9000;
  s.cpu_pct = Math.min(100, s.cpu_pct + (night ? 10 : 3));
  rebalance(s, ctx.rng);
}

/** A broken chain after a deploy: 10–25% of handshakes fail with certificate alerts; the logs show validation errors. */
function misconfiguration(s: MetricSample, ctx: SampleContext): void {
  const share = 0.1 + 0.15 * ctx.rng.nextFloat();
  const broken = Math.min(s.hs_succeeded, Math.max(1, Math.round(s.hs_attempted * share)));
  const before: CountMap = { ...s.hs_failed_by };
  s.hs_succeeded -= broken;
  s.hs_failed += broken;
  rebalance(s, ctx.rng);
  s.hs_failed_by = { ...before };
  const bad = Math.ceil(broken * 0.6);
  s.hs_failed_by['alert:bad_certificate'] = (before['alert:bad_certificate'] ?? 0) + bad;
  s.hs_failed_by['alert:unknown_ca'] = (before['alert:unknown_ca'] ?? 0) + broken - bad;
  s.cert_validation_errors = { ...s.cert_validation_errors, unknown_ca: (s.cert_validation_errors.unknown_ca ?? 0) + Math.max(1, Math.round(broken / 10)) };
}

/** Handshake times growing by `rate` a day (2.5%: the p95 doubles in about four weeks). */
function degradation(s: MetricSample, days: number, rate: number): void {
  if (s.hs_p50_ms === null || s.hs_p95_ms === null) return;
  const f = Math.exp(rate * days);
  s.hs_p50_ms *= f;
  s.hs_p95_ms *= f;
}

/** Traffic growing 1% a day, a release at the incident window's start (5% slower handshakes, +3% CPU), and a holiday on the last day of it. */
function benign(s: MetricSample, ctx: SampleContext, o: RiskScenarioOptions): void {
  const stepsPerDay = 86_400 / o.intervalS;
  const day = ctx.step / stepsPerDay;
  const release = o.startFrom + Math.floor(mix(o.seed + 2, ctx.host.index) * (o.startTo - o.startFrom));
  const holiday = Math.floor(o.startTo / stepsPerDay) - 1;
  let factor = 1 + 0.01 * day;
  if (Math.floor(day) === holiday) factor *= 0.35;
  scaleTraffic(s, factor, ctx);
  if (ctx.step >= release) {
    if (s.hs_p50_ms !== null && s.hs_p95_ms !== null) {
      s.hs_p50_ms *= 1.05;
      s.hs_p95_ms *= 1.05;
    }
    s.cpu_pct = Math.min(100, s.cpu_pct + 3);
  }
}
