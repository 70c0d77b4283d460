import { z } from 'zod';

/**
 * The `collect` section of the agent's configuration: what the behavioural metrics collector
 * probes, reads and tails. Parsed strictly (unknown keys rejected) with defaults, so an empty
 * object is a working configuration that samples only /proc.
 */

const HOSTNAME = /^[A-Za-z0-9.:\-\[\]_]{1,253}$/;

export const ProbeConfigSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[A-Za-z0-9._-]+$/, 'letters, digits, . _ - only'),
  host: z.string().regex(HOSTNAME, 'a host name or IP address'),
  port: z.number().int().min(1).max(65_535),
  /** SNI and the name the certificate is checked against; defaults to host when it is a name. */
  servername: z.string().min(1).max(253).optional(),
  /** PEM file of the CA(s) the probe trusts; defaults to Node's bundled roots. */
  caFile: z.string().min(1).optional(),
  timeoutMs: z.number().int().min(100).max(60_000).optional(),
});
export type ProbeConfig = z.infer<typeof ProbeConfigSchema>;

export const LogFormatSchema = z.enum(['nginx', 'haproxy', 'envoy', 'custom']);
export type LogFormat = z.infer<typeof LogFormatSchema>;

export const LogSourceConfigSchema = z.strictObject({
  path: z.string().min(1),
  format: LogFormatSchema,
  /** For format 'custom': a regex with named groups `ip` and/or `error`. */
  pattern: z.string().min(1).max(2_000).optional(),
}).superRefine((s, ctx) => {
  if (s.format === 'custom') {
    if (s.pattern === undefined) { ctx.addIssue({ code: 'custom', message: `log ${s.path}: format 'custom' needs a pattern with named groups (?<ip>…) and/or (?<error>…)` }); return; }
    let re: RegExp;
    try { re = new RegExp(s.pattern); } catch (e) { ctx.addIssue({ code: 'custom', message: `log ${s.path}: pattern is not a valid regex: ${(e as Error).message}` }); return; }
    if (!/\(\?<(ip|error)>/.test(re.source)) ctx.addIssue({ code: 'custom', message: `log ${s.path}: pattern has no named group (?<ip>…) or (?<error>…)` });
  } else if (s.pattern !== undefined) {
    ctx.addIssue({ code: 'custom', message: `log ${s.path}: pattern is only used with format 'custom' (format is '${s.format}')` });
  }
});
export type LogSourceConfig = z.infer<typeof LogSourceConfigSchema>;

export const CollectConfigSchema = z.strictObject({
  intervalSeconds: z.number().int().min(10).max(86_400).default(300),
  probes: z.array(ProbeConfigSchema).max(64).default([]),
  system: z.strictObject({
    enabled: z.boolean().default(true),
    /** Overridable so tests (and containers with the host's /proc mounted elsewhere) can point at another tree. */
    procRoot: z.string().min(1).default('/proc'),
  }).default({ enabled: true, procRoot: '/proc' }),
  logs: z.array(LogSourceConfigSchema).max(32).default([]),
  investigation: z.strictObject({
    intervalSeconds: z.number().int().min(10).max(86_400).default(60),
    maxExcerptLines: z.number().int().min(0).max(100_000).default(1000),
  }).default({ intervalSeconds: 60, maxExcerptLines: 1000 }),
  localRiskReport: z.boolean().default(false),
}).superRefine((c, ctx) => {
  const names = new Set<string>();
  for (const p of c.probes) {
    if (names.has(p.name)) ctx.addIssue({ code: 'custom', message: `probe name '${p.name}' is used twice`, path: ['probes'] });
    names.add(p.name);
  }
});
export type CollectConfig = z.infer<typeof CollectConfigSchema>;
/** What a configuration file may contain (defaults filled in by the parse). */
export type CollectConfigInput = z.input<typeof CollectConfigSchema>;
