import { z } from 'zod';
import { op } from '../op.js';
import { Empty, Iso } from './common.js';

/*
 * Risk scores, metric time series, models, the action queue and the risk policy (issue 6's core,
 * driven from the console). Shapes mirror core/models and core/policy; the handlers pass their
 * results through these schemas, so a field the renderer relies on cannot silently disappear.
 */

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 fingerprint: 64 lowercase hex digits');
const Host = z.string().min(1).max(253);
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;
const Level = z.enum(RISK_LEVELS);
export const ACTION_STATUSES = ['pending', 'approved', 'rejected', 'exported', 'closed'] as const;
export const ACTION_TYPES = ['alert', 'investigation', 'forced-renewal', 'emergency-certificate', 'predictive-renewal'] as const;

const FeatureEvidence = z.object({ feature: z.string(), description: z.string(), value: z.number(), expected: z.number(), z: z.number(), since: Iso });
const DegradationFactor = z.object({ kind: z.string(), score: z.number(), predictedAt: Iso.nullable(), detail: z.string() });

/** Why a certificate scored what it did (core/models/scoring-pipeline.ts CertificateEvidence). */
export const CertificateEvidence = z.object({
  windows: z.number(), anomalyWindows: z.number(), firstAnomalyAt: Iso.nullable(), lastAnomalyAt: Iso.nullable(), peakAt: Iso.nullable(),
  statistical: z.object({ peakZ: z.number(), threshold: z.number(), feature: z.string().nullable() }),
  isolationForest: z.object({ peakScore: z.number(), threshold: z.number() }),
  features: z.array(FeatureEvidence),
  baselineDays: z.number(),
  degradation: z.array(DegradationFactor),
  certificate: z.object({ caId: z.string(), serial: z.string(), subject: z.string(), notAfter: Iso }).nullable(),
});
const HostEvidence = z.object({
  certificates: z.array(z.object({ certSha256: z.string(), riskScore: z.number(), level: z.string(), degradationScore: z.number() })),
  worst: z.string(),
});

const ScoreFields = {
  host: z.string(), riskScore: z.number(), level: Level, anomalyWindows: z.number(), firstAnomalyAt: Iso.nullable(), lastAnomalyAt: Iso.nullable(),
  degradationScore: z.number(), predictedDegradationAt: Iso.nullable(), modelVersion: z.number(), computedAt: Iso, windowStart: Iso, windowEnd: Iso,
};

export const RiskListRow = z.object({
  subject: z.enum(['host', 'certificate']), ...ScoreFields, certSha256: z.string().nullable(),
  /** The certificate as the inventory knows it (null for hosts and for certificates issued elsewhere). */
  serial: z.string().nullable(), caId: z.string().nullable(), certSubject: z.string().nullable(),
});

const ModelVersion = z.object({
  id: z.number(), kind: z.string(), createdAt: Iso, createdBy: z.string(), windowStart: Iso, windowEnd: Iso, dataSha256: z.string(), modelBytes: z.number(),
  params: z.object({ baselineDays: z.number(), holdoutDays: z.number(), statThreshold: z.number(), statStrong: z.number(), forestThreshold: z.number(), forestStrong: z.number(), nTrees: z.number(), maxSamples: z.number(), seed: z.number() }),
  evaluation: z.object({ series: z.number(), holdoutWindows: z.number(), trainingRows: z.number(), statAlarmsPer1000HostDays: z.number() }),
});

const Action = z.object({
  id: z.number(), action: z.enum(ACTION_TYPES), host: z.string(), certSha256: z.string().nullable(), scoreId: z.number(), modelVersion: z.number(), policySha256: z.string(),
  reason: z.string(), dueAt: Iso.nullable(), createdAt: Iso, status: z.enum(ACTION_STATUSES), decidedAt: Iso.nullable(), decidedBy: z.string().nullable(),
  decisionNote: z.string().nullable(), exportedIn: z.string().nullable(),
  /** The score the action was proposed on and its strongest features, in one line for the queue. */
  riskScore: z.number().nullable(), level: z.string().nullable(), evidenceSummary: z.string(),
});

const score = z.number();
export const RiskPolicy = z.object({
  version: z.number(),
  alert: z.object({ minRisk: score }),
  investigation: z.object({ minRisk: score, durationHours: z.number(), collectIntervalSeconds: z.number(), logExcerpts: z.boolean() }),
  forcedRenewal: z.object({ minRisk: score }),
  emergencyCertificate: z.object({ minRisk: score, issuer: z.object({ caId: z.string(), approvedBy: z.string(), approvedAt: Iso }).optional() }),
  predictiveRenewal: z.object({ minDegradation: score, leadDays: z.number() }),
  autoApprove: z.record(z.string(), z.boolean()),
});

const MAX_SPAN_MS = 31 * 86_400_000;
const SeriesRange = z.strictObject({
  host: Host,
  /** One certificate of the host; absent: all of the host's series summed. */
  certSha256: Sha256.optional(),
  /** Hourly windows in [from, to); default: the 7 days up to the host's newest metrics. */
  from: z.iso.datetime().optional(),
  to: z.iso.datetime().optional(),
}).refine((r) => !r.from || !r.to || Date.parse(r.from) < Date.parse(r.to), { message: 'from must be before to', path: ['from'] })
  .refine((r) => !r.from || !r.to || Date.parse(r.to) - Date.parse(r.from) <= MAX_SPAN_MS, { message: 'a chart spans at most 31 days', path: ['to'] });

export const MetricPoint = z.object({
  /** Start of the hour. */
  t: Iso, handshakes: z.number(), failurePct: z.number(), p95Ms: z.number().nullable(), cpuPct: z.number(), newClients: z.number(),
});
export const AnomalyMarker = z.object({ t: Iso, certSha256: z.string(), detector: z.enum(['statistical', 'forest', 'both']), feature: z.string().nullable(), z: z.number() });

export const riskOps = {
  riskList: op(z.strictObject({
    subject: z.enum(['host', 'certificate']).default('certificate'),
    minScore: z.number().min(0).max(100).default(0),
    levels: z.array(Level).max(4).optional(),
    /** Part of a host name, a serial or a fingerprint. */
    search: z.string().max(253).optional(),
    sort: z.enum(['risk', 'degradation', 'lastAnomaly', 'predicted', 'host']).default('risk'),
    order: z.enum(['asc', 'desc']).default('desc'),
    offset: z.number().int().min(0).max(10_000_000).default(0),
    limit: z.number().int().min(1).max(500).default(50),
  }), z.object({ total: z.number(), rows: z.array(RiskListRow) }), 'read', 'the latest risk of each certificate or host: filter, sort and page in SQLite'),
  riskExplain: op(z.strictObject({ query: z.string().trim().min(1, 'give a host, serial or SHA-256').max(200) }), z.object({
    query: z.string(),
    host: z.object({ ...ScoreFields, evidence: HostEvidence }).nullable(),
    certificates: z.array(z.object({ ...ScoreFields, certSha256: z.string(), evidence: CertificateEvidence })),
    openActions: z.array(z.object({ id: z.number(), action: z.string(), status: z.string(), reason: z.string() })),
    models: z.array(ModelVersion),
  }), 'read', 'why a host or certificate has its risk: features, distance from baseline, since when, predicted degradation, model version'),
  metricSeries: op(SeriesRange, z.object({
    host: z.string(), certSha256: z.string().nullable(), from: Iso, to: Iso,
    points: z.array(MetricPoint),
    anomalies: z.array(AnomalyMarker),
    /** The model version whose detectors placed the markers (null: no model trained yet). */
    modelVersion: z.number().nullable(),
  }), 'read', "hourly handshakes, failure rate, p95 handshake time, CPU and new clients of a host or certificate, with the detectors' anomaly markers"),
  modelsList: op(Empty, z.array(ModelVersion), 'read', 'trained risk model versions, newest first'),
  modelsTrain: op(z.strictObject({
    windowDays: z.number().int().min(14).max(365).default(28),
    seed: z.number().int().min(0).max(2 ** 31 - 1).default(1),
  }), ModelVersion, 'write', 'train and store a new risk model version on the imported metrics'),
  riskScore: op(z.strictObject({
    windowHours: z.number().int().min(1).max(744).default(24),
    modelVersion: z.number().int().min(1).optional(),
  }), z.object({
    modelVersion: z.number(), computedAt: Iso, windowStart: Iso, windowEnd: Iso, series: z.number(), hosts: z.number(),
    levels: z.record(z.string(), z.number()), actionsAdded: z.array(z.number()), actionsAutoApproved: z.array(z.number()), alertsClosed: z.number(),
    timings: z.object({ features: z.number(), detectors: z.number(), degradation: z.number(), policyAndWrite: z.number(), total: z.number() }),
    policySource: z.string(),
  }), 'write', "score every host and certificate with a model version and queue the policy's actions"),
  actionsList: op(z.strictObject({
    status: z.enum([...ACTION_STATUSES, 'all']).default('pending'),
    limit: z.number().int().min(1).max(5000).default(500),
  }), z.array(Action), 'read', 'actions the risk policy proposed, with their evidence and model version'),
  actionDecide: op(z.strictObject({
    id: z.number().int().min(1),
    decision: z.enum(['approve', 'reject']),
    /** Required to reject (core says so with QUEUE_NOTE_REQUIRED). */
    note: z.string().max(2000).optional(),
  }), Action, 'write', 'approve or reject a pending action (audited with its evidence and model version)'),
  policyShow: op(Empty, z.object({ source: z.string(), sha256: z.string(), policy: RiskPolicy }), 'read', 'the risk policy in effect: thresholds, auto-approval and the file they come from'),
  actionPlan: op(Empty, z.object({
    hosts: z.array(z.string()),
    investigations: z.array(z.object({ host: z.string(), until: Iso, collectIntervalSeconds: z.number(), logExcerpts: z.boolean() })),
    emergency: z.array(z.object({ host: z.string(), caId: z.string(), actionId: z.number() })),
    actionIds: z.array(z.number()),
  }), 'read', 'what the approved actions ask of the next renewal bundle'),
};
