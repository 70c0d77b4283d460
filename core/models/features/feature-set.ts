/**
 * The per-window features the risk models read, computed from one host-certificate series'
 * samples aggregated to one window (an hour). Counts are log-scaled so a doubling is the same
 * step on a quiet host as on a busy one; shares and percentages stay linear.
 *
 * `direction` is what the statistical detector alarms on (a surge of new clients is suspicious, a
 * drop is not); 'none' features feed only the isolation forest. `minScale` floors the baseline's
 * spread at the smallest change worth attention, so a feature that is almost always zero (log
 * validation errors) cannot yield an enormous z from a single stray error.
 */
export interface FeatureDef {
  readonly name: string;
  readonly direction: 'up' | 'down' | 'both' | 'none';
  /** The side of the feature the isolation forest sees in full (the other is clipped close to the baseline). */
  readonly forest: 'up' | 'down' | 'both';
  readonly minScale: number;
  readonly description: string;
}

export const FEATURES: readonly FeatureDef[] = [
  { name: 'handshakes', direction: 'up', forest: 'up', minScale: 0.1, description: 'log(1 + handshakes attempted)' },
  { name: 'failure_pct', direction: 'up', forest: 'up', minScale: 0.5, description: 'failed handshakes, % of attempted' },
  { name: 'cert_failure_pct', direction: 'up', forest: 'up', minScale: 0.5, description: 'handshakes failed by certificate alerts (bad_certificate, unknown_ca, certificate_*), % of attempted' },
  { name: 'hs_p50_log', direction: 'up', forest: 'up', minScale: 0.05, description: 'log of the median handshake time (ms)' },
  { name: 'hs_p95_log', direction: 'up', forest: 'up', minScale: 0.05, description: 'log of the 95th percentile handshake time (ms)' },
  { name: 'clients', direction: 'up', forest: 'up', minScale: 0.1, description: 'log(1 + distinct client IPs)' },
  { name: 'new_client_pct', direction: 'up', forest: 'up', minScale: 1, description: 'client networks (/24, /64) never seen before, % of distinct (coldroot.metrics.v1.1); new client IPs, % of distinct, for v1 samples' },
  { name: 'cpu_pct', direction: 'none', forest: 'up', minScale: 2, description: 'CPU use, %' },
  { name: 'mem_pct', direction: 'none', forest: 'up', minScale: 2, description: 'memory use, %' },
  { name: 'net_bytes', direction: 'none', forest: 'up', minScale: 0.1, description: 'log(1 + bytes received and sent)' },
  { name: 'validation_errors', direction: 'up', forest: 'up', minScale: 0.7, description: 'log(1 + certificate-validation errors in logs)' },
  { name: 'tls13_pct', direction: 'down', forest: 'down', minScale: 2, description: 'TLS 1.3 share of successful handshakes, %' },
  { name: 'cipher_entropy', direction: 'none', forest: 'both', minScale: 0.1, description: 'Shannon entropy (bits) of the negotiated cipher mix' },
  { name: 'protocol_failure_pct', direction: 'up', forest: 'up', minScale: 0.5, description: 'handshakes failed by other TLS alerts (handshake_failure, protocol_version…), % of attempted' },
  { name: 'transport_failure_pct', direction: 'none', forest: 'up', minScale: 0.5, description: 'handshakes failed by transport errors (error:timeout, error:connection_reset…), % of attempted' },
];
export const FEATURE_COUNT = FEATURES.length;
export const FEATURE_NAMES = FEATURES.map((f) => f.name);
export const FEATURE_INDEX = Object.fromEntries(FEATURE_NAMES.map((n, i) => [n, i])) as Record<string, number>;

/** One window of a series: the samples' numeric columns summed or averaged, count maps concatenated ('a=1;b=2;a=3'). */
export interface WindowAggregate {
  attempted: number;
  succeeded: number;
  failed: number;
  /** Concatenated hs_failed_by maps. */
  failedBy: string;
  /** Median handshake time, weighted by successful handshakes; null when none succeeded. */
  p50: number | null;
  /** Highest p95 of the window's samples; null when none succeeded. */
  p95: number | null;
  protocols: string;
  ciphers: string;
  /** Most distinct clients in one sample of the window (distinct counts do not add up across samples). */
  clients: number;
  newClients: number;
  /** Most distinct client networks (/24, /64) in one sample, and the never-seen ones summed; null or absent when a sample lacks them (v1). */
  nets?: number | null;
  newNets?: number | null;
  cpu: number;
  mem: number;
  netBytes: number;
  validation: string;
  /** Samples folded into the window, when known: 1 lets the map readers skip merging repeated names. */
  samples?: number;
}

const CERT_ALERTS = ['alert:bad_certificate=', 'alert:unknown_ca=', 'alert:unsupported_certificate=', 'alert:certificate_', 'alert:access_denied=', 'alert:decrypt_error='];

/** Whether the map entry starting at `at` is a certificate alert (checked in place: no substring is made). */
function isCertAlert(map: string, at: number): boolean {
  if (!map.startsWith('alert:', at)) return false;
  for (const p of CERT_ALERTS) if (map.startsWith(p, at)) return true;
  return false;
}

const failures = new Float64Array(3);

/**
 * Failed handshakes by class, in one pass over an hs_failed_by map: failures[0] certificate
 * alerts, [1] other TLS alerts (protocol, negotiation), [2] transport errors ('error:…').
 */
function failureClasses(map: string): Float64Array {
  failures.fill(0);
  let start = 0;
  const n = map.length;
  while (start < n) {
    let end = map.indexOf(';', start);
    if (end < 0) end = n;
    const eq = map.lastIndexOf('=', end - 1);
    if (eq > start) {
      if (map.startsWith('alert:', start)) failures[isCertAlert(map, start) ? 0 : 1] += parseCount(map, eq + 1, end);
      else if (map.startsWith('error:', start)) failures[2] += parseCount(map, eq + 1, end);
    }
    start = end + 1;
  }
  return failures;
}

/**
 * Writes the window's features into out[offset … offset + FEATURE_COUNT). Features with no
 * meaning in the window (handshake times when none succeeded, mixes with no handshakes) are NaN;
 * the detectors read a NaN as "no evidence" (z = 0).
 */
export function windowFeatures(w: WindowAggregate, out: Float64Array, offset: number): void {
  const attempted = Math.max(0, w.attempted);
  out[offset] = Math.log1p(attempted);
  out[offset + 1] = attempted > 0 ? (100 * w.failed) / attempted : NaN;
  const failed = failureClasses(w.failedBy);
  // Failures by alert/error code, in three classes: certificate alerts, other alerts (13), transport errors (14).
  out[offset + 2] = attempted > 0 ? (100 * failed[0]) / attempted : NaN;
  out[offset + 3] = w.p50 !== null && w.p50 > 0 ? Math.log(w.p50) : NaN;
  out[offset + 4] = w.p95 !== null && w.p95 > 0 ? Math.log(w.p95) : NaN;
  out[offset + 5] = Math.log1p(w.clients);
  out[offset + 6] = w.nets != null && w.newNets != null
    ? (w.nets > 0 ? (100 * Math.min(w.newNets, w.nets)) / w.nets : NaN)
    : w.clients > 0 ? (100 * Math.min(w.newClients, w.clients)) / w.clients : NaN;
  out[offset + 7] = w.cpu;
  out[offset + 8] = w.mem;
  out[offset + 9] = Math.log1p(w.netBytes);
  out[offset + 10] = Math.log1p(sumCounts(w.validation, null));
  const tls13 = countOf(w.protocols, 'TLSv1.3');
  const protocols = sumCounts(w.protocols, null);
  out[offset + 11] = protocols > 0 ? (100 * tls13) / protocols : NaN;
  out[offset + 12] = protocols > 0 ? entropy(w.ciphers, w.samples === 1) : NaN;
  out[offset + 13] = attempted > 0 ? (100 * failed[1]) / attempted : NaN;
  out[offset + 14] = attempted > 0 ? (100 * failed[2]) / attempted : NaN;
}

/** Sum of the counts in a 'name=count;…' text whose entry matches (all entries when `match` is null). */
export function sumCounts(map: string, match: ((map: string, at: number) => boolean) | RegExp | null): number {
  let total = 0;
  let start = 0;
  const n = map.length;
  while (start < n) {
    let end = map.indexOf(';', start);
    if (end < 0) end = n;
    const eq = map.lastIndexOf('=', end - 1);
    if (eq > start && (match === null || (typeof match === 'function' ? match(map, start) : match.test(map.slice(start, eq))))) total += parseCount(map, eq + 1, end);
    start = end + 1;
  }
  return total;
}

function countOf(map: string, name: string): number {
  let total = 0;
  const key = `${name}=`;
  for (let i = map.indexOf(key); i >= 0; i = map.indexOf(key, i + key.length)) {
    if (i === 0 || map.charCodeAt(i - 1) === 59 /* ; */) {
      const end = map.indexOf(';', i);
      total += Number(map.slice(i + key.length, end < 0 ? map.length : end)) || 0;
    }
  }
  return total;
}

/** The whole number in map[from, to) (count maps hold only digits there); NaN-free: a malformed count reads as 0. */
function parseCount(map: string, from: number, to: number): number {
  let v = 0;
  for (let i = from; i < to; i++) {
    const d = map.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return Number(map.slice(from, to)) || 0;
    v = v * 10 + d;
  }
  return v;
}

const names: string[] = [];
const counts = new Float64Array(64 * 16);

/** Entropy in bits of the counts of a (possibly concatenated) map: a name listed twice adds up. */
function entropy(map: string, unique: boolean): number {
  let k = 0;
  let total = 0;
  let start = 0;
  while (start < map.length) {
    let end = map.indexOf(';', start);
    if (end < 0) end = map.length;
    const eq = map.lastIndexOf('=', end - 1);
    if (eq > start) {
      const c = parseCount(map, eq + 1, end);
      // One sample's map names each cipher once; only concatenated maps need the names compared.
      const name = unique ? '' : map.slice(start, eq);
      let j = unique ? k : 0;
      while (j < k && names[j] !== name) j++;
      if (j === k) {
        if (k === counts.length) break;
        names[k] = name;
        counts[k++] = 0;
      }
      counts[j] += c;
      total += c;
    }
    start = end + 1;
  }
  if (total <= 0) return 0;
  let h = 0;
  for (let j = 0; j < k; j++) if (counts[j] > 0) h -= (counts[j] / total) * Math.log2(counts[j] / total);
  return h;
}

const LOG1P = new Set([0, 5, 9, 10]);
const LOG = new Set([3, 4]);

/** A feature value in its natural unit (handshakes, ms, bytes…) for evidence shown to an operator. */
export function naturalValue(feature: number, v: number): number {
  if (!Number.isFinite(v)) return v;
  const x = LOG1P.has(feature) ? Math.expm1(v) : LOG.has(feature) ? Math.exp(v) : v;
  return Math.round(x * 1000) / 1000;
}
