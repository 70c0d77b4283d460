import { z } from 'zod';

/**
 * coldroot.metrics.v1: one sample per host, certificate and interval (docs/metrics-format.md).
 * The same field names are the NDJSON keys, the CSV header and the database columns.
 */
export const METRICS_SCHEMA_V1 = 'coldroot.metrics.v1';

export const METRIC_FIELDS = [
  'host', 'cert', 't', 'interval_s',
  'hs_attempted', 'hs_succeeded', 'hs_failed', 'hs_failed_by', 'hs_p50_ms', 'hs_p95_ms',
  'protocols', 'ciphers', 'client_ips_distinct', 'client_ips_new',
  'cpu_pct', 'mem_pct', 'net_rx_bytes', 'net_tx_bytes', 'cert_validation_errors',
] as const;
export type MetricField = (typeof METRIC_FIELDS)[number];

export type CountMap = Record<string, number>;

/** A sample as producers build it and NDJSON carries it. */
export interface MetricSample {
  host: string;
  /** SHA-256 (lowercase hex) of the DER certificate the host presents. */
  cert: string;
  /** Start of the interval, UTC, whole seconds: 2026-01-05T00:05:00Z. */
  t: string;
  interval_s: number;
  hs_attempted: number;
  hs_succeeded: number;
  hs_failed: number;
  /** Failed handshakes by cause: 'alert:<tls alert name>' or 'error:<error code>'; sums to hs_failed. */
  hs_failed_by: CountMap;
  /** Handshake duration percentiles in milliseconds; null when no handshake succeeded. */
  hs_p50_ms: number | null;
  hs_p95_ms: number | null;
  /** Successful handshakes by negotiated protocol ('TLSv1.3') and cipher suite (IANA or OpenSSL name). */
  protocols: CountMap;
  ciphers: CountMap;
  client_ips_distinct: number;
  client_ips_new: number;
  cpu_pct: number;
  mem_pct: number;
  net_rx_bytes: number;
  net_tx_bytes: number;
  /** Certificate-validation errors seen in application logs, by error name ('unknown_ca', 'expired'…). */
  cert_validation_errors: CountMap;
}

export const HOST = /^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$/;
export const MAP_KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63}$/;
export const MAX_MAP_KEYS = 64;
export const SAMPLE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
export const MAX_COUNT = 2 ** 53 - 1;

/** A whole-second UTC time that exists (2026-02-30 does not) and is not before 1970. */
export function isSampleTime(t: string): boolean {
  if (!SAMPLE_TIME.test(t)) return false;
  const ms = Date.parse(t);
  return !Number.isNaN(ms) && ms >= 0 && new Date(ms).toISOString().slice(0, 19) === t.slice(0, 19);
}

const count = z.number().int().min(0).max(MAX_COUNT);
const countMap = z.record(z.string().regex(MAP_KEY), count).refine((m) => Object.keys(m).length <= MAX_MAP_KEYS, `at most ${MAX_MAP_KEYS} keys`);
const sum = (m: CountMap) => Object.values(m).reduce((a, b) => a + b, 0);

/**
 * The reference definition of a v1 sample. The import path checks the same rules with a
 * hand-written validator (metrics-validate.ts) that is ~20x faster; a test holds the two equal.
 */
export const MetricSampleSchema = z.strictObject({
  host: z.string().regex(HOST),
  cert: z.string().regex(/^[0-9a-f]{64}$/),
  t: z.string().regex(SAMPLE_TIME).refine(isSampleTime, 'a real date, 1970 or later'),
  interval_s: z.number().int().min(1).max(86_400),
  hs_attempted: count,
  hs_succeeded: count,
  hs_failed: count,
  hs_failed_by: countMap,
  hs_p50_ms: z.number().min(0).max(3_600_000).nullable(),
  hs_p95_ms: z.number().min(0).max(3_600_000).nullable(),
  protocols: countMap,
  ciphers: countMap,
  client_ips_distinct: count,
  client_ips_new: count,
  cpu_pct: z.number().min(0).max(100),
  mem_pct: z.number().min(0).max(100),
  net_rx_bytes: count,
  net_tx_bytes: count,
  cert_validation_errors: countMap,
}).superRefine((s, ctx) => {
  const rule = (ok: boolean, message: string) => { if (!ok) ctx.addIssue({ code: 'custom', message }); };
  rule(s.hs_succeeded + s.hs_failed <= s.hs_attempted, 'hs_succeeded + hs_failed exceeds hs_attempted');
  rule(sum(s.hs_failed_by) === s.hs_failed, 'hs_failed_by does not sum to hs_failed');
  rule(sum(s.protocols) <= s.hs_succeeded, 'protocols sum to more than hs_succeeded');
  rule(sum(s.ciphers) <= s.hs_succeeded, 'ciphers sum to more than hs_succeeded');
  rule((s.hs_p50_ms === null) === (s.hs_p95_ms === null), 'hs_p50_ms and hs_p95_ms are both null or both numbers');
  rule(s.hs_p50_ms === null || s.hs_p95_ms === null || s.hs_p50_ms <= s.hs_p95_ms, 'hs_p50_ms exceeds hs_p95_ms');
  rule(s.client_ips_new <= s.client_ips_distinct, 'client_ips_new exceeds client_ips_distinct');
});
