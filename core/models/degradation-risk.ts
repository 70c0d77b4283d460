import { forecastBreach, type BreachForecast } from './degradation-forecast.js';
import { FEATURE_COUNT, FEATURE_INDEX } from './features/feature-set.js';
import type { SeriesWindows } from './features/hourly-features.js';
import { medianInPlace } from './robust-statistics.js';

/**
 * Predicted degradation of a host's TLS service: the daily median of the handshake p95 forecast
 * towards `factor` times its reference level (its 10th percentile of daily medians over the
 * reference window: the level before any slow creep started), plus certificate-side factors.
 * Each factor gives a date and a 0–100 score; the certificate's degradation is the worst one.
 */

export interface DegradationOptions {
  /** Days of daily medians the trend is fitted on; default 14. */
  trendDays?: number;
  /** Days the reference level is taken from; default 42. */
  referenceDays?: number;
  /** Breach when p95 reaches this multiple of the reference; default 2. */
  factor?: number;
  /** Forecasts further ahead than this are not predictions; default 60 days. */
  horizonDays?: number;
}

export interface DegradationFactor {
  readonly kind: 'handshake-p95-trend' | 'certificate-expiry' | 'intermediate-expires-first' | 'stale-crl' | 'stale-ocsp' | 'weak-algorithm';
  readonly score: number;
  /** When service is predicted to degrade (ISO), or null when the factor only raises concern. */
  readonly predictedAt: string | null;
  readonly detail: string;
}

const DAY_MS = 86_400_000;
const P95 = FEATURE_INDEX.hs_p95_log;

/** Score of a breach predicted `days` ahead: 100 now, 72 a week out, 51 two weeks out. */
export function degradationScore(days: number): number {
  return Math.round(100 * Math.exp(-Math.max(0, days) / 21));
}

/** Daily medians of the handshake p95 (ms) of a series' windows in [from, to). */
export function dailyP95(s: SeriesWindows, from: number, to: number): { times: number[]; values: number[] } {
  const out = { times: [] as number[], values: [] as number[] };
  const day = new Float64Array(48);
  let count = 0;
  let current = -1;
  const flush = () => {
    if (count >= 6) {
      out.times.push(current * DAY_MS);
      out.values.push(Math.exp(medianInPlace(day, 0, count)));
    }
    count = 0;
  };
  for (let i = 0; i < s.times.length; i++) {
    const t = s.times[i];
    if (t < from || t >= to) continue;
    const d = Math.floor(t / DAY_MS);
    if (d !== current) {
      flush();
      current = d;
    }
    const v = s.x[i * FEATURE_COUNT + P95];
    if (v === v && count < day.length) day[count++] = v;
  }
  flush();
  return out;
}

const weekday = (t: number) => (Math.floor(t / DAY_MS) + 3) % 7;

/** Each weekday's level against the whole (weekends are lighter, so faster): the median ratio, 1 without enough history. */
function weekdayOffsets(times: readonly number[], values: readonly number[]): number[] {
  const overall = medianInPlace(Float64Array.from(values));
  const out: number[] = [];
  for (let d = 0; d < 7; d++) {
    const mine = values.filter((_, i) => weekday(times[i]) === d);
    out.push(mine.length >= 3 ? medianInPlace(Float64Array.from(mine)) / overall : 1);
  }
  return out;
}

/** The reference p95: the 10th percentile of the daily medians. */
export function referenceP95(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(0.1 * (sorted.length - 1))];
}

export interface TrendOutlook {
  readonly forecast: BreachForecast | null;
  readonly reference: number | null;
  readonly factor: DegradationFactor | null;
}

/** Forecasts the handshake p95 of a series as of `now`. */
export function handshakeTrend(s: SeriesWindows, now: number, o: DegradationOptions = {}): TrendOutlook {
  const trendDays = o.trendDays ?? 14;
  const referenceDays = o.referenceDays ?? 42;
  const factor = o.factor ?? 2;
  const horizonDays = o.horizonDays ?? 60;
  const ref = dailyP95(s, now - referenceDays * DAY_MS, now);
  if (ref.values.length < 7) return { forecast: null, reference: null, factor: null };
  const reference = referenceP95(ref.values);
  const from = now - trendDays * DAY_MS;
  const k = ref.times.findIndex((t) => t >= from);
  const times = ref.times.slice(k);
  const weekly = weekdayOffsets(ref.times, ref.values);
  const values = ref.values.slice(k).map((v, i) => v / weekly[weekday(times[i])]);
  if (times.length < 7) return { forecast: null, reference, factor: null };
  const threshold = factor * reference;
  // On the log scale: handshake times degrade by a factor a day (queues, retries), which a straight line in ms would underestimate.
  const logged = forecastBreach(times, values.map(Math.log), { threshold: Math.log(threshold), direction: 'above', horizonDays, now, method: 'theil-sen' });
  const forecast: BreachForecast = { ...logged, threshold, current: Math.exp(logged.current),
    slopePerDay: Math.expm1(logged.slopePerDay), slopePerDayLow: Math.expm1(logged.slopePerDayLow), slopePerDayHigh: Math.expm1(logged.slopePerDayHigh),
    note: logged.status === 'none' ? 'No significant upward trend in the handshake p95.' : `Handshake p95 rising ${(100 * Math.expm1(logged.slopePerDay)).toFixed(1)}% a day (Theil–Sen on the log of ${times.length} daily medians)` + (logged.status === 'breached' ? '; already past the threshold.' : `; crosses ${threshold.toFixed(1)} ms on ${new Date(logged.predictedAt!).toISOString().slice(0, 10)}, ${logged.daysAhead!.toFixed(1)} days ahead.`) };
  if (forecast.status === 'none') return { forecast, reference, factor: null };
  const days = forecast.status === 'breached' ? 0 : forecast.daysAhead ?? horizonDays;
  return {
    forecast, reference,
    factor: {
      kind: 'handshake-p95-trend', score: degradationScore(days),
      predictedAt: new Date(forecast.predictedAt ?? now).toISOString(),
      detail: `${forecast.note} Threshold ${threshold.toFixed(1)} ms is ${factor}× the reference ${reference.toFixed(1)} ms.`,
    },
  };
}

export interface CertificateFacts {
  readonly notAfter: string;
  /** notAfter of each CA above the certificate, nearest first. */
  readonly issuerNotAfter: readonly { caId: string; notAfter: string | null }[];
  /** nextUpdate of the issuing CA's newest CRL, or null when it published none. */
  readonly crlNextUpdate: string | null;
  /** nextUpdate of the issuing CA's newest pre-signed OCSP responses, or null when it pre-signed none. */
  readonly ocspNextUpdate: string | null;
  readonly publicKeyType: string;
  readonly signatureAlgorithm: string;
}

/** Certificate-side factors: expiry, an issuer that expires first, a stale CRL or OCSP response, weak algorithms. */
export function certificateFactors(c: CertificateFacts, now: number, horizonDays = 60): DegradationFactor[] {
  const out: DegradationFactor[] = [];
  const days = (iso: string) => (Date.parse(iso) - now) / DAY_MS;
  const left = days(c.notAfter);
  if (left <= horizonDays) {
    out.push({ kind: 'certificate-expiry', score: degradationScore(left), predictedAt: c.notAfter, detail: left <= 0 ? `Expired at ${c.notAfter}` : `Expires at ${c.notAfter}, in ${left.toFixed(1)} days` });
  }
  for (const ca of c.issuerNotAfter) {
    if (ca.notAfter && ca.notAfter < c.notAfter) {
      const d = days(ca.notAfter);
      out.push({ kind: 'intermediate-expires-first', score: d <= horizonDays ? degradationScore(d) : 20, predictedAt: ca.notAfter,
        detail: `Issuing CA '${ca.caId}' expires at ${ca.notAfter}, before this certificate (${c.notAfter}); the chain breaks then` });
      break;
    }
  }
  if (c.crlNextUpdate !== null && days(c.crlNextUpdate) <= 0) {
    out.push({ kind: 'stale-crl', score: 60, predictedAt: c.crlNextUpdate, detail: `The issuing CA's newest CRL expired at ${c.crlNextUpdate}: relying parties that check revocation fail` });
  }
  if (c.ocspNextUpdate !== null && days(c.ocspNextUpdate) <= 0) {
    out.push({ kind: 'stale-ocsp', score: 60, predictedAt: c.ocspNextUpdate, detail: `The issuing CA's newest pre-signed OCSP responses expired at ${c.ocspNextUpdate}: clients that require a fresh OCSP response (stapling, must-staple) fail` });
  }
  const weak = weakness(c.publicKeyType, c.signatureAlgorithm);
  if (weak) out.push({ kind: 'weak-algorithm', score: 70, predictedAt: null, detail: weak });
  return out;
}

function weakness(key: string, sig: string): string | null {
  const rsa = /rsa[^0-9]*(\d+)/i.exec(key);
  if (rsa && Number(rsa[1]) < 2048) return `Public key ${key} is below 2048 bits`;
  if (/sha-?1|md5|md2/i.test(sig)) return `Signature algorithm ${sig} is deprecated`;
  return null;
}

/** The worst factor: highest score, and the earliest predicted date among factors that have one. */
export function combineFactors(factors: readonly DegradationFactor[]): { score: number; predictedAt: string | null } {
  let score = 0;
  let predictedAt: string | null = null;
  for (const f of factors) {
    score = Math.max(score, f.score);
    if (f.predictedAt && (predictedAt === null || f.predictedAt < predictedAt)) predictedAt = f.predictedAt;
  }
  return { score, predictedAt };
}
