import type { Arm, HandshakeObservation } from './handshake-observation.js';
import { momentsMean, momentsSd, type Moments } from './canary-statistics.js';

/**
 * Handshake statistics per certificate in time buckets. The controller cuts a bucket at every
 * evaluation and every exposure change, so a range "since the last change" or "the last 60 s" is
 * a run of whole buckets and never mixes two exposures. Handshake times are kept as moments of
 * ln(ms) (their geometric mean and spread: handshake times are skewed, a few slow clients must not
 * dominate a mean) and a log-spaced histogram for percentiles.
 */

const HIST_MIN_MS = 0.05;
const HIST_PER_OCTAVE = 4;
const HIST_BINS = 96;
/** Buckets with fewer handshakes than this are too small to say how much a host's success rate swings. */
const MIN_BUCKET_FOR_SPREAD = 10;

interface ArmBucket {
  attempted: number;
  succeeded: number;
  failedBy: Map<string, number>;
  logMs: Moments;
  hist: Uint32Array;
  protocols: Map<string, number>;
  ciphers: Map<string, number>;
}

interface Bucket {
  start: number;
  arms: Record<Arm, ArmBucket>;
}

/** Everything the controller compares, for one certificate over a range of buckets. */
export interface ArmSummary {
  from: number;
  attempted: number;
  succeeded: number;
  failed: number;
  failedBy: Record<string, number>;
  /** Moments of ln(handshake ms) over successful handshakes. */
  logMs: Moments;
  geoMeanMs: number | null;
  p50Ms: number | null;
  p95Ms: number | null;
  protocols: Record<string, number>;
  ciphers: Record<string, number>;
  /** Successful handshakes whose protocol is known, and those of them below TLS 1.3. */
  withProtocol: number;
  legacyProtocol: number;
  /** Mean and sd of per-bucket success rates (buckets with enough handshakes): how much this host swings anyway. */
  bucketRates: { buckets: number; mean: number; sd: number };
}

function emptyArm(): ArmBucket {
  return { attempted: 0, succeeded: 0, failedBy: new Map(), logMs: { n: 0, sum: 0, sumSq: 0 }, hist: new Uint32Array(HIST_BINS), protocols: new Map(), ciphers: new Map() };
}

function histBin(ms: number): number {
  const b = Math.floor(HIST_PER_OCTAVE * Math.log2(Math.max(ms, HIST_MIN_MS) / HIST_MIN_MS));
  return Math.min(HIST_BINS - 1, Math.max(0, b));
}

function histPercentile(hist: Uint32Array, n: number, q: number): number | null {
  if (!n) return null;
  const rank = q * n;
  let seen = 0;
  for (let i = 0; i < HIST_BINS; i++) {
    seen += hist[i];
    if (seen >= rank) return HIST_MIN_MS * 2 ** ((i + 0.5) / HIST_PER_OCTAVE);
  }
  return HIST_MIN_MS * 2 ** ((HIST_BINS - 0.5) / HIST_PER_OCTAVE);
}

function add(map: Map<string, number>, key: string, by = 1): void {
  map.set(key, (map.get(key) ?? 0) + by);
}

export class MetricsWindow {
  private buckets: Bucket[] = [];

  constructor(startAt: number) {
    this.cut(startAt);
  }

  /** Start of the newest bucket. */
  get currentStart(): number {
    return this.buckets[this.buckets.length - 1].start;
  }

  record(o: HandshakeObservation): void {
    // Observations arrive in time order except for a late outcome or two; those go to their bucket.
    let i = this.buckets.length - 1;
    while (i > 0 && o.at < this.buckets[i].start) i--;
    const a = this.buckets[i].arms[o.arm];
    a.attempted++;
    if (o.ok) {
      a.succeeded++;
      if (o.handshakeMs !== undefined && Number.isFinite(o.handshakeMs) && o.handshakeMs >= 0) {
        const l = Math.log(Math.max(o.handshakeMs, HIST_MIN_MS));
        a.logMs.n++;
        a.logMs.sum += l;
        a.logMs.sumSq += l * l;
        a.hist[histBin(o.handshakeMs)]++;
      }
      if (o.protocol) add(a.protocols, o.protocol);
      if (o.cipher) add(a.ciphers, o.cipher);
    } else {
      add(a.failedBy, o.cause ?? 'error:unknown');
    }
  }

  /** Closes the newest bucket at `at` and opens the next. */
  cut(at: number): void {
    const last = this.buckets[this.buckets.length - 1];
    if (last && at <= last.start) return;
    this.buckets.push({ start: at, arms: { old: emptyArm(), new: emptyArm() } });
  }

  /** Drops buckets that ended before `before`. */
  prune(before: number): void {
    let drop = 0;
    while (drop < this.buckets.length - 1 && this.buckets[drop + 1].start <= before) drop++;
    if (drop) this.buckets.splice(0, drop);
  }

  /** Merges the buckets that start at or after `from` (the newest always counts). */
  summarize(arm: Arm, from: number): ArmSummary {
    const s: ArmSummary = {
      from, attempted: 0, succeeded: 0, failed: 0, failedBy: {}, logMs: { n: 0, sum: 0, sumSq: 0 }, geoMeanMs: null, p50Ms: null, p95Ms: null,
      protocols: {}, ciphers: {}, withProtocol: 0, legacyProtocol: 0, bucketRates: { buckets: 0, mean: NaN, sd: 0 },
    };
    const hist = new Uint32Array(HIST_BINS);
    const rates: Moments = { n: 0, sum: 0, sumSq: 0 };
    for (let i = 0; i < this.buckets.length; i++) {
      const b = this.buckets[i];
      if (b.start < from && i < this.buckets.length - 1) continue;
      const a = b.arms[arm];
      s.attempted += a.attempted;
      s.succeeded += a.succeeded;
      for (const [k, v] of a.failedBy) s.failedBy[k] = (s.failedBy[k] ?? 0) + v;
      s.logMs.n += a.logMs.n;
      s.logMs.sum += a.logMs.sum;
      s.logMs.sumSq += a.logMs.sumSq;
      for (let j = 0; j < HIST_BINS; j++) hist[j] += a.hist[j];
      for (const [k, v] of a.protocols) {
        s.protocols[k] = (s.protocols[k] ?? 0) + v;
        s.withProtocol += v;
        if (k !== 'TLSv1.3') s.legacyProtocol += v;
      }
      for (const [k, v] of a.ciphers) s.ciphers[k] = (s.ciphers[k] ?? 0) + v;
      if (a.attempted >= MIN_BUCKET_FOR_SPREAD) {
        const r = a.succeeded / a.attempted;
        rates.n++;
        rates.sum += r;
        rates.sumSq += r * r;
      }
    }
    s.failed = s.attempted - s.succeeded;
    if (s.logMs.n) {
      s.geoMeanMs = Math.exp(momentsMean(s.logMs));
      s.p50Ms = histPercentile(hist, s.logMs.n, 0.5);
      s.p95Ms = histPercentile(hist, s.logMs.n, 0.95);
    }
    s.bucketRates = { buckets: rates.n, mean: momentsMean(rates), sd: momentsSd(rates) };
    return s;
  }
}

/** Sample standard deviation of ln(handshake ms). */
export function logSd(s: ArmSummary): number {
  return momentsSd(s.logMs);
}
