import { z } from 'zod';
import { HOST, isSampleTime, MAP_KEY, MAX_COUNT, MAX_MAP_KEYS, SAMPLE_TIME, type CountMap } from './metrics-fields.js';

/** The zod reference of coldroot.metrics.v1; the field list and patterns live in metrics-fields.ts (kept zod-free for the parsing worker). */
export * from './metrics-fields.js';

const count = z.number().int().min(0).max(MAX_COUNT);
const countMap = z.record(z.string().regex(MAP_KEY), count).refine((m) => Object.keys(m).length <= MAX_MAP_KEYS, `at most ${MAX_MAP_KEYS} keys`);
const sum = (m: CountMap) => Object.values(m).reduce((a, b) => a + b, 0);

/**
 * The reference definition of a v1 sample (and below, v1.1). The import path checks the same rules with a
 * hand-written validator (metrics-validate.ts) that is ~20x faster; a test holds the two equal.
 */
const v1Shape = {
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
};
type V1 = z.infer<z.ZodObject<typeof v1Shape>>;
const rule = (ctx: z.RefinementCtx, ok: boolean, message: string) => { if (!ok) ctx.addIssue({ code: 'custom', message }); };
function v1Rules(s: V1, ctx: z.RefinementCtx): void {
  rule(ctx, s.hs_succeeded + s.hs_failed <= s.hs_attempted, 'hs_succeeded + hs_failed exceeds hs_attempted');
  rule(ctx, sum(s.hs_failed_by) === s.hs_failed, 'hs_failed_by does not sum to hs_failed');
  rule(ctx, sum(s.protocols) <= s.hs_succeeded, 'protocols sum to more than hs_succeeded');
  rule(ctx, sum(s.ciphers) <= s.hs_succeeded, 'ciphers sum to more than hs_succeeded');
  rule(ctx, (s.hs_p50_ms === null) === (s.hs_p95_ms === null), 'hs_p50_ms and hs_p95_ms are both null or both numbers');
  rule(ctx, s.hs_p50_ms === null || s.hs_p95_ms === null || s.hs_p50_ms <= s.hs_p95_ms, 'hs_p50_ms exceeds hs_p95_ms');
  rule(ctx, s.client_ips_new <= s.client_ips_distinct, 'client_ips_new exceeds client_ips_distinct');
}

export const MetricSampleSchema = z.strictObject(v1Shape).superRefine(v1Rules);

/** coldroot.metrics.v1.1: v1 and the client networks (IPv4 /24, IPv6 /64) seen, and never seen before. */
export const MetricSampleSchemaV1_1 = z.strictObject({ ...v1Shape, client_nets_distinct: count, client_nets_new: count }).superRefine((s, ctx) => {
  v1Rules(s, ctx);
  rule(ctx, s.client_nets_distinct <= s.client_ips_distinct, 'client_nets_distinct exceeds client_ips_distinct');
  rule(ctx, s.client_nets_new <= s.client_nets_distinct, 'client_nets_new exceeds client_nets_distinct');
});
