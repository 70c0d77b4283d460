import { z } from 'zod';
import { op } from '../op.js';
import { Empty, Iso } from './common.js';

export const AuditEntry = z.object({
  seq: z.number(), at: Iso, actor: z.string(), role: z.string().nullable(), action: z.string(), inputs: z.record(z.string(), z.string()),
  outcome: z.string(), details: z.record(z.string(), z.unknown()), prevHash: z.string(), hash: z.string(),
});

export const AuditVerifyReport = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), entries: z.number(), head: z.object({ seq: z.number(), hash: z.string() }), keyFingerprint: z.string() }),
  z.object({ ok: z.literal(false), entries: z.number(), firstBadSeq: z.number(), problem: z.string(), message: z.string() }),
]);

export const auditOps = {
  listAudit: op(z.strictObject({
    action: z.string().max(64).optional(),
    actor: z.string().max(256).optional(),
    since: z.string().max(40).optional(),
    order: z.enum(['asc', 'desc']).default('desc'),
    offset: z.number().int().min(0).default(0),
    limit: z.number().int().min(1).max(1000).default(200),
  }), z.object({ total: z.number(), entries: z.array(AuditEntry), actions: z.array(z.string()) }), 'read', 'the audit trail, filtered and paged'),
  verifyAudit: op(Empty, AuditVerifyReport, 'read', 'check every hash and signature of the trail; names the first bad entry'),
};
