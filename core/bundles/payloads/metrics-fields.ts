/**
 * coldroot.metrics.v1: one sample per host, certificate and interval (docs/metrics-format.md).
 * The same field names are the NDJSON keys, the CSV header and the database columns.
 */
export const METRICS_SCHEMA_V1 = 'coldroot.metrics.v1';
/** v1 plus two trailing fields, the client networks (/24, /64) seen and never seen before; v1 stays as it was. */
export const METRICS_SCHEMA_V1_1 = 'coldroot.metrics.v1.1';
export type MetricsSchema = typeof METRICS_SCHEMA_V1 | typeof METRICS_SCHEMA_V1_1;
export const METRICS_SCHEMAS: readonly MetricsSchema[] = [METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1];

export const METRIC_FIELDS = [
  'host', 'cert', 't', 'interval_s',
  'hs_attempted', 'hs_succeeded', 'hs_failed', 'hs_failed_by', 'hs_p50_ms', 'hs_p95_ms',
  'protocols', 'ciphers', 'client_ips_distinct', 'client_ips_new',
  'cpu_pct', 'mem_pct', 'net_rx_bytes', 'net_tx_bytes', 'cert_validation_errors',
] as const;
export const METRIC_FIELDS_V1_1 = [...METRIC_FIELDS, 'client_nets_distinct', 'client_nets_new'] as const;
export type MetricField = (typeof METRIC_FIELDS_V1_1)[number];

/** The fields of a schema, in CSV column order. */
export function metricFieldsOf(schema: MetricsSchema): readonly MetricField[] {
  return schema === METRICS_SCHEMA_V1_1 ? METRIC_FIELDS_V1_1 : METRIC_FIELDS;
}

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
  /** v1.1 only: distinct client networks (IPv4 /24, IPv6 /64) in the interval, and of those the ones never seen before. */
  client_nets_distinct?: number;
  client_nets_new?: number;
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
