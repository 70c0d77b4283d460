import { z } from 'zod';
import { ColdrootError } from '../../errors.js';
import { CERTIFICATE_REJECTION_CAUSES } from './handshake-observation.js';

/**
 * coldroot.canary.v1: how fast a host may move its TLS traffic from the old certificate to the new
 * one and when it must give up. The console writes it into a renewal bundle; the agent's TLS front
 * (or the host's HAProxy/nginx, through the agent) runs it. Exposures and rates are in percent,
 * as the console shows them; every field but `schema` and `id` has a default.
 */
export const CANARY_PLAN_SCHEMA_V1 = 'coldroot.canary.v1';

const percent = z.number().min(0).max(100);
const seconds = (max: number) => z.number().int().min(1).max(max);
const CAUSE = /^(?:alert|error):[A-Za-z0-9_.:/+-]{1,58}$/;

const FixedStep = z.strictObject({
  policy: z.literal('fixed'),
  /** Added after each settled good analysis, removed after each worse one. */
  stepPercent: z.number().gt(0).max(100).default(1),
});

const AdaptiveStep = z.strictObject({
  policy: z.literal('adaptive'),
  /** Exposure is multiplied by this after a settled good analysis… */
  growthFactor: z.number().gt(1).max(10).default(2),
  /** …by at most this many points at once… */
  maxStepPercent: z.number().gt(0).max(100).default(25),
  /**
   * …and only as far as the evidence allows: if the new certificate failed as often as the upper
   * confidence bound of its failure-rate excess, at most this share of all the host's handshakes
   * may fail because of it.
   */
  failureBudgetPercent: z.number().gt(0).max(100).default(0.5),
  /** Exposure is multiplied by this after a worse analysis. */
  decreaseFactor: z.number().gt(0).lt(1).default(0.25),
});

export const CanaryPlanSchema = z.strictObject({
  schema: z.literal(CANARY_PLAN_SCHEMA_V1),
  /** Names the rollout; also salts the client split, so each rollout canaries a different subset. */
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  /** SHA-256 (hex) of the old and new certificates' DER, so the front can refuse a plan for other certificates. */
  oldCertificate: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  newCertificate: z.string().regex(/^[0-9a-f]{64}$/).optional(),
  initialExposurePercent: percent.gt(0).default(5),
  /** A decrease below this rolls back to 0. */
  minExposurePercent: percent.gt(0).default(0.5),
  /**
   * The share of the old certificate's handshake success the new one must keep: at 95, if old
   * completes 99% of handshakes, new completing confidently fewer than 94.05% rolls back.
   */
  targetSuccessPercent: percent.gt(0).default(95),
  /** How long exposure stays at 100% with nothing worse before the new certificate becomes the active one. */
  confirmSeconds: seconds(86_400).default(60),
  analysis: z.strictObject({
    /** Recent handshakes that decide decreases and rollbacks. */
    windowSeconds: seconds(86_400).default(60),
    evaluateEverySeconds: seconds(3_600).default(10),
    /** Time after a change before exposure may grow again (clients newly moved must show up first). */
    settleSeconds: seconds(86_400).default(60),
    /** Handshakes that size an increase (and keep a decreased exposure down) are counted back this far. */
    evidenceSeconds: seconds(7 * 86_400).default(3_600),
    /** Handshakes per certificate below which nothing is decided but a hard-failure rollback. */
    minHandshakes: z.number().int().min(1).max(1_000_000).default(30),
    /** One-sided confidence of every bound the controller uses. */
    confidencePercent: z.number().min(50).max(99.999).default(99),
  }).prefault({}),
  step: z.discriminatedUnion('policy', [FixedStep, AdaptiveStep]).prefault({ policy: 'adaptive' }),
  thresholds: z.strictObject({
    /** New may complete at most this many points fewer handshakes than old. */
    successRate: z.strictObject({ maxDropPercent: percent.default(1) }).prefault({}),
    /** Geometric mean handshake time of new over old. */
    handshakeTime: z.strictObject({ maxRatio: z.number().min(1).max(100).default(1.5) }).prefault({}),
    /** Share of successful handshakes below TLS 1.3, new minus old, in points. */
    protocol: z.strictObject({ maxLegacyIncreasePercent: percent.default(5) }).prefault({}),
    /** Certificate-rejection failures that roll back at once. */
    hardFailure: z.strictObject({
      causes: z.array(z.string().regex(CAUSE)).max(64).default([...CERTIFICATE_REJECTION_CAUSES]),
      /** At least this many within the analysis window… */
      burstCount: z.number().int().min(1).max(1_000_000).default(5),
      /** …at a rate at least this many points above the old certificate's. */
      burstPercent: percent.default(1),
    }).prefault({}),
  }).prefault({}),
}).superRefine((p, ctx) => {
  if (p.minExposurePercent > p.initialExposurePercent) {
    ctx.addIssue({ code: 'custom', path: ['minExposurePercent'], message: `must not exceed initialExposurePercent (${p.initialExposurePercent})` });
  }
  if (p.analysis.evaluateEverySeconds > p.analysis.windowSeconds) {
    ctx.addIssue({ code: 'custom', path: ['analysis', 'evaluateEverySeconds'], message: `must not exceed windowSeconds (${p.analysis.windowSeconds})` });
  }
  if (p.analysis.evidenceSeconds < p.analysis.windowSeconds) {
    ctx.addIssue({ code: 'custom', path: ['analysis', 'evidenceSeconds'], message: `must be at least windowSeconds (${p.analysis.windowSeconds})` });
  }
});

export type CanaryPlan = z.infer<typeof CanaryPlanSchema>;
export type CanaryPlanInput = z.input<typeof CanaryPlanSchema>;

/**
 * Parses a plan strictly (unknown keys rejected); `source` names where it came from in the message.
 * Accepts the parsed JSON value or its text.
 */
export function parseCanaryPlan(input: unknown, source = 'rollout plan'): CanaryPlan {
  let value = input;
  if (typeof input === 'string') {
    try {
      value = JSON.parse(input);
    } catch (e) {
      throw new ColdrootError('CANARY_PLAN_INVALID', `${source} is not JSON: ${(e as Error).message}`, `Write the plan as a JSON object with "schema": "${CANARY_PLAN_SCHEMA_V1}" (docs/canary-rollout.md)`);
    }
  }
  const r = CanaryPlanSchema.safeParse(value);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ColdrootError('CANARY_PLAN_INVALID', `${source}: ${where}: ${issue.message}`, `Fix the plan (${CANARY_PLAN_SCHEMA_V1}, fields in docs/canary-rollout.md)`);
  }
  return r.data;
}

/** A plan with every default, for an id. */
export function defaultCanaryPlan(id: string, overrides: Omit<CanaryPlanInput, 'schema' | 'id'> = {}): CanaryPlan {
  return parseCanaryPlan({ ...overrides, schema: CANARY_PLAN_SCHEMA_V1, id }, `rollout plan ${id}`);
}
