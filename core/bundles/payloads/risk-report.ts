import { z } from 'zod';
import { HOST } from './metrics-schema.js';
import { HEX64, ISO_UTC, SLUG } from './json-payload.js';

/** coldroot.risk-report.v1: anomalies and risk scores a host computed over its own metrics. */
export const RISK_REPORT_SCHEMA_V1 = 'coldroot.risk-report.v1';
export const RISK_REPORT_FILE = 'risk-report.json';

export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;

const Anomaly = z.strictObject({
  /** What was seen, e.g. 'handshake-failure-spike', 'new-client-ip-burst', 'latency-drift'. */
  kind: z.string().regex(SLUG),
  /** The metric field it concerns (coldroot.metrics.v1 name), if one. */
  metric: z.string().regex(/^[a-z_]{1,64}$/).optional(),
  at: z.string().regex(ISO_UTC).optional(),
  score: z.number().min(0).max(1),
  detail: z.string().max(1000).optional(),
});

export const RiskReportSchema = z.strictObject({
  host: z.string().regex(HOST),
  cert: z.string().regex(HEX64),
  computedAt: z.string().regex(ISO_UTC),
  window: z.strictObject({ from: z.string().regex(ISO_UTC), to: z.string().regex(ISO_UTC) }).refine((w) => w.from <= w.to, 'window.from is after window.to'),
  model: z.strictObject({ name: z.string().regex(SLUG), version: z.string().regex(SLUG) }),
  /** 0 (no risk) … 1 (certain trouble). */
  score: z.number().min(0).max(1),
  level: z.enum(RISK_LEVELS),
  anomalies: z.array(Anomaly).max(1000),
});
export type RiskReport = z.infer<typeof RiskReportSchema>;

export const RiskReportFileSchema = z.strictObject({
  reports: z.array(RiskReportSchema).min(1).max(100_000),
});
export type RiskReportFile = z.infer<typeof RiskReportFileSchema>;
