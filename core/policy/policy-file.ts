import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { canonicalJson } from '../audit/canonical-json.js';
import { ColdrootError } from '../errors.js';

/**
 * The risk policy: which risk and degradation scores propose which actions, and which action
 * types the console approves on its own. A JSON file, parsed strictly: an unknown or misspelt key
 * is an error naming it, never silently ignored.
 */

const score = z.number().min(0).max(100);
const ACTION_TYPES = ['alert', 'investigation', 'forced-renewal', 'emergency-certificate', 'predictive-renewal'] as const;
export type ActionType = (typeof ACTION_TYPES)[number];
export { ACTION_TYPES };

export const RiskPolicySchema = z.strictObject({
  version: z.literal(1),
  alert: z.strictObject({ minRisk: score }),
  investigation: z.strictObject({
    minRisk: score,
    durationHours: z.number().int().min(1).max(24 * 30),
    collectIntervalSeconds: z.number().int().min(10).max(86_400),
    logExcerpts: z.boolean(),
  }),
  forcedRenewal: z.strictObject({ minRisk: score }),
  emergencyCertificate: z.strictObject({
    minRisk: score,
    /** The CA that issues emergency certificates, and who approved its use for them; absent: never proposed. */
    issuer: z.strictObject({ caId: z.string().min(1), approvedBy: z.string().min(1), approvedAt: z.iso.datetime() }).optional(),
  }),
  predictiveRenewal: z.strictObject({
    minDegradation: score,
    /** Renew this many days before the predicted degradation. */
    leadDays: z.number().int().min(0).max(365),
  }),
  autoApprove: z.strictObject(Object.fromEntries(ACTION_TYPES.map((a) => [a, z.boolean()])) as Record<ActionType, z.ZodBoolean>),
});
export type RiskPolicy = z.infer<typeof RiskPolicySchema>;

export const DEFAULT_POLICY: RiskPolicy = {
  version: 1,
  alert: { minRisk: 40 },
  investigation: { minRisk: 60, durationHours: 72, collectIntervalSeconds: 60, logExcerpts: true },
  forcedRenewal: { minRisk: 85 },
  emergencyCertificate: { minRisk: 95 },
  predictiveRenewal: { minDegradation: 50, leadDays: 7 },
  autoApprove: { 'alert': true, 'investigation': false, 'forced-renewal': false, 'emergency-certificate': false, 'predictive-renewal': false },
};

/** Parses policy text; `source` names it in errors. */
export function parsePolicy(text: string, source: string): RiskPolicy {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ColdrootError('POLICY_INVALID', `Risk policy ${source} is not JSON: ${(e as Error).message}`, 'Write the policy as JSON; see docs/risk.md');
  }
  const parsed = RiskPolicySchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue.path.join('.');
    const what = issue.code === 'unrecognized_keys'
      ? `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${path ? `${path}.` : ''}${k}'`).join(', ')}`
      : `'${path || '(top level)'}': ${issue.message}`;
    throw new ColdrootError('POLICY_INVALID', `Risk policy ${source}: ${what}`, 'Fix the key named; the accepted keys and ranges are in docs/risk.md');
  }
  return parsed.data;
}

export function loadPolicyFile(path: string): RiskPolicy {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ColdrootError('POLICY_UNREADABLE', `Cannot read risk policy ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Give the path of a policy JSON file (see docs/risk.md)');
  }
  return parsePolicy(text, path);
}

/** Identifies the policy a proposal was made under. */
export function policySha256(p: RiskPolicy): string {
  return createHash('sha256').update(canonicalJson(p)).digest('hex');
}

/** The policy to apply: the file given, else <home>/risk-policy.json when it exists, else the defaults. */
export function resolvePolicy(home: string, path?: string): { policy: RiskPolicy; source: string } {
  if (path) return { policy: loadPolicyFile(path), source: path };
  const inHome = join(home, 'risk-policy.json');
  if (existsSync(inHome)) return { policy: loadPolicyFile(inHome), source: inHome };
  return { policy: DEFAULT_POLICY, source: 'built-in defaults' };
}
