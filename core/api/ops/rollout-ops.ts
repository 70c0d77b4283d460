import { z } from 'zod';
import { op } from '../op.js';

/* Canary rollouts as the hosts' metric bundles report them (issue 7), read from the home's database. */

const HostName = z.string().min(1).max(253);
const Arm = z.object({ attempted: z.number(), succeeded: z.number(), failed: z.number(), successPercent: z.number().nullable(), p95Ms: z.number().nullable(), failedBy: z.record(z.string(), z.number()) });
const Change = z.object({ at: z.string(), from: z.number(), to: z.number(), action: z.string(), metric: z.string() });

export const HostRollout = z.object({
  host: z.string(), planId: z.string().nullable(), policy: z.string().nullable(), state: z.string(),
  oldCertificate: z.string(), newCertificate: z.string(), old: Arm, new: Arm,
  failuresCausedByNew: z.number(), timeToFullSeconds: z.number().nullable(), timeToRollbackSeconds: z.number().nullable(),
  rollbackReason: z.string().nullable(), lastDecision: z.string().nullable(), reportedAt: z.string().nullable(),
  changes: z.array(Change),
  timeline: z.array(z.object({ t: z.string(), exposurePercent: z.number(), oldSuccessPercent: z.number().nullable(), newSuccessPercent: z.number().nullable(), oldP95Ms: z.number().nullable(), newP95Ms: z.number().nullable() })),
});

const Group = z.strictObject({ name: z.string().min(1).max(64), hosts: z.array(HostName).min(1).max(100_000) });

export const rolloutOps = {
  rolloutReport: op(
    z.strictObject({ hosts: z.array(HostName).max(100_000).optional(), groups: z.strictObject({ a: Group, b: Group }).optional() }),
    z.object({
      rollouts: z.array(HostRollout),
      groups: z.array(z.object({ name: z.string(), hosts: z.number(), rollouts: z.number(), completed: z.number(), rolledBack: z.number(), medianTimeToFullSeconds: z.number().nullable(), medianTimeToRollbackSeconds: z.number().nullable(), failuresCausedByNew: z.number(), newHandshakes: z.number() })).nullable(),
    }),
    'read',
    'Canary rollouts per host from the imported metric bundles: exposure, old vs new handshakes, time to 100% or to rollback, and with two host groups the A/B comparison',
  ),
} as const;
