import { SeededRandom } from '../../models/seeded-random.js';
import type { CountMap, MetricSample } from '../payloads/metrics-schema.js';

/** A simulated host: what it serves and how its traffic behaves. */
export interface HostProfile {
  index: number;
  host: string;
  role: 'web' | 'api' | 'edge' | 'internal';
  /** SHA-256 of the TLS certificate the host presents (set once the fleet's certificates exist). */
  cert: string;
  /** Handshakes per interval at the daily peak. */
  peakHandshakes: number;
  /** Hours east of UTC: its users' day. */
  utcOffsetHours: number;
  tls13Share: number;
  baseFailureRate: number;
  baseP50Ms: number;
  cpuBase: number;
  memBase: number;
  /** Typical number of distinct clients at the peak. */
  clientPool: number;
  bytesPerHandshake: number;
}

/** What a scenario sees when it shapes one sample. */
export interface SampleContext {
  readonly host: HostProfile;
  readonly t: Date;
  /** Interval number since the simulation start (0, 1, 2…). */
  readonly step: number;
  readonly intervalS: number;
  /** The traffic level the daily and weekly patterns give (0..1). */
  readonly load: number;
  /** This host's generator: scenarios that draw from it stay deterministic. */
  readonly rng: SeededRandom;
}

/**
 * A change to the normal behaviour (an anomaly to detect, a rollout to watch). Scenarios run in
 * order on every sample after the baseline is generated and may edit any field; they must keep
 * the sample valid (coldroot.metrics.v1 rules: counts add up, p50 <= p95…), for which
 * `rebalance` helps. The models issue adds its scenarios here.
 */
export interface MetricScenario {
  readonly name: string;
  apply(sample: MetricSample, ctx: SampleContext): void;
}

const ROLES: HostProfile['role'][] = ['web', 'web', 'api', 'api', 'edge', 'internal'];
const FAILURES = ['alert:bad_certificate', 'alert:unknown_ca', 'alert:handshake_failure', 'alert:protocol_version', 'error:timeout', 'error:connection_reset'];
const FAILURE_WEIGHTS = [0.1, 0.05, 0.3, 0.05, 0.35, 0.15];
const TLS13 = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'];
const TLS13_WEIGHTS = [0.6, 0.3, 0.1];
const TLS12 = ['ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-ECDSA-CHACHA20-POLY1305'];
const TLS12_WEIGHTS = [0.7, 0.2, 0.1];

/** Deterministic host profiles: host names web-0001.fleet.example… with per-role traffic shapes. */
export function makeHosts(count: number, seed: number): HostProfile[] {
  const rng = new SeededRandom(seed, 0x5eed);
  return Array.from({ length: count }, (_, i) => {
    const role = ROLES[rng.nextInt(ROLES.length)];
    const scale = role === 'edge' ? 4 : role === 'internal' ? 0.3 : 1;
    return {
      index: i,
      host: `${role}-${String(i + 1).padStart(4, '0')}.fleet.example`,
      role,
      cert: '0'.repeat(64),
      peakHandshakes: Math.round((400 + rng.nextFloat() * 1600) * scale),
      utcOffsetHours: [-8, -5, 0, 1, 2, 8][rng.nextInt(6)],
      tls13Share: role === 'internal' ? 0.5 + rng.nextFloat() * 0.3 : 0.8 + rng.nextFloat() * 0.18,
      baseFailureRate: 0.002 + rng.nextFloat() * 0.01,
      baseP50Ms: 4 + rng.nextFloat() * 20,
      cpuBase: 5 + rng.nextFloat() * 15,
      memBase: 30 + rng.nextFloat() * 30,
      clientPool: Math.round((200 + rng.nextFloat() * 3000) * scale),
      bytesPerHandshake: 2000 + Math.round(rng.nextFloat() * 30000),
    };
  });
}

/** Daily cycle (quiet at night, peak in the afternoon) times the weekly one (weekends lighter). */
export function trafficLevel(host: HostProfile, t: Date): number {
  const hours = (t.getUTCHours() + t.getUTCMinutes() / 60 + host.utcOffsetHours + 24) % 24;
  const daily = 0.15 + 0.85 * Math.exp(-((hours - 14) ** 2) / (2 * 4 ** 2));
  const day = new Date(t.getTime() + host.utcOffsetHours * 3_600_000).getUTCDay();
  const weekly = day === 0 || day === 6 ? (host.role === 'internal' ? 0.25 : 0.65) : 1;
  return daily * weekly;
}

function gaussian(rng: SeededRandom): number {
  return Math.sqrt(-2 * Math.log(1 - rng.nextFloat())) * Math.cos(2 * Math.PI * rng.nextFloat());
}

/** Splits `total` into whole counts by weights (the remainder goes to the first name). */
export function split(total: number, names: readonly string[], weights: readonly number[], rng: SeededRandom): CountMap {
  const out: CountMap = {};
  let left = total;
  for (let i = names.length - 1; i > 0 && left > 0; i--) {
    const n = Math.min(left, Math.max(0, Math.round(total * weights[i] * (0.8 + 0.4 * rng.nextFloat()))));
    if (n > 0) out[names[i]] = n;
    left -= n;
  }
  if (left > 0) out[names[0]] = left;
  return out;
}

/** Restores the cross-field rules after a scenario changed counts: failures and protocol/cipher splits follow the totals. */
export function rebalance(s: MetricSample, rng: SeededRandom): void {
  s.hs_succeeded = Math.max(0, Math.min(s.hs_succeeded, s.hs_attempted));
  s.hs_failed = Math.max(0, Math.min(s.hs_failed, s.hs_attempted - s.hs_succeeded));
  const causes = Object.keys(s.hs_failed_by);
  s.hs_failed_by = split(s.hs_failed, causes.length ? causes : FAILURES, causes.length ? causes.map(() => 1 / causes.length) : FAILURE_WEIGHTS, rng);
  const tls13 = Math.round(s.hs_succeeded * ((s.protocols['TLSv1.3'] ?? 0) / Math.max(1, (s.protocols['TLSv1.3'] ?? 0) + (s.protocols['TLSv1.2'] ?? 0))));
  s.protocols = compact({ 'TLSv1.3': tls13, 'TLSv1.2': s.hs_succeeded - tls13 });
  s.ciphers = { ...split(tls13, TLS13, TLS13_WEIGHTS, rng), ...split(s.hs_succeeded - tls13, TLS12, TLS12_WEIGHTS, rng) };
  if (s.hs_succeeded === 0) s.hs_p50_ms = s.hs_p95_ms = null;
  else if (s.hs_p50_ms !== null && s.hs_p95_ms !== null && s.hs_p95_ms < s.hs_p50_ms) s.hs_p95_ms = s.hs_p50_ms;
  s.client_ips_new = Math.min(s.client_ips_new, s.client_ips_distinct);
}

function compact(m: CountMap): CountMap {
  const out: CountMap = {};
  for (const [k, v] of Object.entries(m)) if (v > 0) out[k] = v;
  return out;
}

const iso = (t: Date) => `${t.toISOString().slice(0, 19)}Z`;

/** The baseline sample of one host for one interval. */
function baseline(h: HostProfile, t: Date, intervalS: number, load: number, rng: SeededRandom): MetricSample {
  const noise = Math.exp(0.15 * gaussian(rng));
  const attempted = Math.max(0, Math.round(h.peakHandshakes * (intervalS / 300) * load * noise));
  const failRate = h.baseFailureRate * (0.5 + rng.nextFloat());
  const failed = Math.min(attempted, Math.round(attempted * failRate + (rng.nextFloat() < 0.05 ? 1 : 0)));
  const succeeded = attempted - failed;
  const tls13 = Math.round(succeeded * Math.min(1, h.tls13Share + 0.02 * gaussian(rng)));
  const p50 = h.baseP50Ms * (1 + 0.6 * load * load) * Math.exp(0.1 * gaussian(rng));
  const distinct = Math.min(attempted, Math.round(h.clientPool * Math.sqrt(load) * (0.9 + 0.2 * rng.nextFloat())));
  const hour = (t.getUTCHours() + h.utcOffsetHours + 24) % 24;
  const newShare = hour >= 7 && hour <= 10 ? 0.06 : 0.02;
  const certErrors: CountMap = rng.nextFloat() < 0.01 ? { [['unknown_ca', 'certificate_expired', 'hostname_mismatch'][rng.nextInt(3)]]: 1 + rng.nextInt(3) } : {};
  return {
    host: h.host,
    cert: h.cert,
    t: iso(t),
    interval_s: intervalS,
    hs_attempted: attempted,
    hs_succeeded: succeeded,
    hs_failed: failed,
    hs_failed_by: split(failed, FAILURES, FAILURE_WEIGHTS, rng),
    hs_p50_ms: succeeded ? p50 : null,
    hs_p95_ms: succeeded ? p50 * (2.5 + rng.nextFloat() * 1.5) : null,
    protocols: compact({ 'TLSv1.3': tls13, 'TLSv1.2': succeeded - tls13 }),
    ciphers: { ...split(tls13, TLS13, TLS13_WEIGHTS, rng), ...split(succeeded - tls13, TLS12, TLS12_WEIGHTS, rng) },
    client_ips_distinct: distinct,
    client_ips_new: Math.min(distinct, Math.round(distinct * newShare * (0.5 + rng.nextFloat()))),
    cpu_pct: Math.min(100, Math.max(0, h.cpuBase + 55 * load * noise + 2 * gaussian(rng))),
    mem_pct: Math.min(100, Math.max(0, h.memBase + 10 * load + 1.5 * gaussian(rng))),
    net_rx_bytes: Math.round(attempted * h.bytesPerHandshake * 0.3 + 50_000 * (1 + rng.nextFloat())),
    net_tx_bytes: Math.round(attempted * h.bytesPerHandshake + 80_000 * (1 + rng.nextFloat())),
    cert_validation_errors: certErrors,
  };
}

export interface GenerateOptions {
  /** First interval start (UTC, whole seconds). */
  start: Date;
  /** Intervals to generate from `firstStep` on. */
  steps: number;
  firstStep?: number;
  intervalS: number;
  seed: number;
  scenarios?: readonly MetricScenario[];
}

/**
 * One host's samples, interval by interval. The same host, seed and steps always give the same
 * samples: each host draws from its own seeded stream, advanced from the simulation start, so a
 * day generated alone equals that day generated within a longer run.
 */
export function* generateSamples(h: HostProfile, o: GenerateOptions): Generator<MetricSample> {
  const first = o.firstStep ?? 0;
  const scenarios = o.scenarios ?? [];
  for (let step = first; step < first + o.steps; step++) {
    // One stream per host and interval keeps any slice of the timeline reproducible on its own.
    const rng = new SeededRandom(o.seed ^ Math.imul(h.index + 1, 0x9e3779b1), step);
    const t = new Date(o.start.getTime() + step * o.intervalS * 1000);
    const load = trafficLevel(h, t);
    const sample = baseline(h, t, o.intervalS, load, rng);
    for (const sc of scenarios) sc.apply(sample, { host: h, t, step, intervalS: o.intervalS, load, rng });
    yield sample;
  }
}
