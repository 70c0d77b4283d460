import { z } from 'zod';
import { HOST, isSampleTime, MAP_KEY, MAX_COUNT, MAX_MAP_KEYS, SAMPLE_TIME, type CountMap } from './metrics-fields.js';

/** The zod reference of coldroot.metrics.v1; the field list and patterns live in metrics-fields.ts (kept zod-free for the parsing worker). */
export * from './metrics-fields.js';

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
