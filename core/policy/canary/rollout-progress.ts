import { z } from 'zod';

/**
 * coldroot.rollout-progress.v1: the optional `rollout.json` of a metrics bundle. The agent reports
 * each canary rollout it runs (or ran) on the host: where exposure stands, every change, the last
 * decision and why a rollback happened. The per-certificate handshake figures travel as ordinary
 * coldroot.metrics.v1 samples, one series per (host, cert), so the metrics schema is unchanged.
 */
export const ROLLOUT_PROGRESS_SCHEMA_V1 = 'coldroot.rollout-progress.v1';
export const ROLLOUT_PROGRESS_FILE = 'rollout.json';
export const MAX_REPORTED_CHANGES = 1000;

const iso = z.string().regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/, 'a UTC ISO time');
const sha256 = z.string().regex(/^[0-9a-f]{64}$/, '64 lowercase hex digits');
const percent = z.number().min(0).max(100);

export const RolloutChangeSchema = z.strictObject({
  at: iso,
  from: percent,
  to: percent,
  action: z.enum(['increase', 'decrease', 'hold', 'rollback', 'complete']),
  metric: z.string().max(64),
});

export const RolloutDecisionSummarySchema = z.strictObject({
  at: iso,
  action: z.enum(['increase', 'decrease', 'hold', 'rollback', 'complete']),
  from: percent,
  to: percent,
  metric: z.string().max(64),
  message: z.string().max(2000),
});

/** running: the front serves both; all-at-once: no front on this host, the plan was applied as one switch. */
export const ROLLOUT_STATES = ['running', 'complete', 'rolled-back', 'failed-safe', 'all-at-once'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

export const RolloutReportSchema = z.strictObject({
  host: z.string().regex(/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$/),
  planId: z.string().min(1).max(128),
  policy: z.string().max(64),
  state: z.enum(ROLLOUT_STATES),
  exposurePercent: percent,
  activeCertificate: z.enum(['old', 'new']),
  oldCertificate: sha256,
  newCertificate: sha256,
  startedAt: iso,
  lastChangeAt: iso,
  finishedAt: iso.nullable(),
  changes: z.array(RolloutChangeSchema).max(MAX_REPORTED_CHANGES),
  lastDecision: RolloutDecisionSummarySchema.nullable(),
  rollbackReason: z.string().max(2000).nullable(),
});

export const RolloutProgressFileSchema = z.strictObject({
  schema: z.literal(ROLLOUT_PROGRESS_SCHEMA_V1),
  rollouts: z.array(RolloutReportSchema).min(1).max(64),
});

export type RolloutReport = z.infer<typeof RolloutReportSchema>;
export type RolloutProgressFile = z.infer<typeof RolloutProgressFileSchema>;
