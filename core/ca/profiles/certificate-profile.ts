import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ColdrootError } from '../../errors.js';
import { EKU_OIDS, KEY_USAGES } from '../../x509/key-purposes.js';

const SAN_TYPES = ['dns', 'ip', 'email', 'uri'] as const;
export type SanType = (typeof SAN_TYPES)[number];

const Duration = z.string().regex(/^[1-9][0-9]*[hd]$/, "a duration such as '24h' or '365d'");
const NameList = z.strictObject({
  dns: z.array(z.string().min(1)).optional(),
  ip: z.array(z.string().min(1)).optional(),
  email: z.array(z.string().min(1)).optional(),
});

export const CertificateProfileSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'lowercase letters, digits and dashes'),
  description: z.string().max(200).default(''),
  kind: z.enum(['ca', 'leaf']),
  validity: z.strictObject({ default: Duration, max: Duration }),
  /** ca profiles: pathLenConstraint (null: unlimited). */
  pathLength: z.number().int().min(0).max(16).nullable().optional(),
  keyUsage: z.array(z.enum(KEY_USAGES)).min(1),
  extendedKeyUsage: z.array(z.union([z.enum(Object.keys(EKU_OIDS) as [string, ...string[]]), z.string().regex(/^[0-9]+(\.[0-9]+)+$/)])).optional(),
  subjectAltName: z.strictObject({ required: z.boolean(), types: z.array(z.enum(SAN_TYPES)) }).default({ required: false, types: [] }),
  /** CA/Browser Forum rule: a subject CN must repeat one of the SANs. */
  commonNameMustBeSan: z.boolean().default(false),
  allowedKeyTypes: z.array(z.enum(['ecdsa-p256', 'ecdsa-p384', 'ecdsa-p521', 'rsa-2048', 'rsa-3072', 'rsa-4096', 'ed25519'])).min(1),
  nameConstraints: z.strictObject({ permitted: NameList.optional(), excluded: NameList.optional() }).optional(),
  ocspNoCheck: z.boolean().default(false),
  /** Emergency certificates are short-lived; the console refuses to give them more than `validity.max`. */
  emergency: z.boolean().default(false),
});

export type CertificateProfile = z.infer<typeof CertificateProfileSchema>;

export function durationMs(d: string): number {
  const n = Number(d.slice(0, -1));
  return n * (d.endsWith('h') ? 3_600_000 : 86_400_000);
}

/** Parses a custom profile file (JSON) strictly: unknown keys and bad values are rejected with their path. */
export function parseProfile(json: unknown, source: string): CertificateProfile {
  const r = CertificateProfileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue.path.length ? issue.path.join('.') : '(top level)';
    throw new ColdrootError('PROFILE_INVALID', `Profile ${source}: ${where}: ${issue.message}`, 'Fix the profile file; see docs/profiles.md for every field');
  }
  const p = r.data;
  if (durationMs(p.validity.default) > durationMs(p.validity.max)) {
    throw new ColdrootError('PROFILE_INVALID', `Profile ${source}: validity.default ${p.validity.default} exceeds validity.max ${p.validity.max}`, 'Make the default validity at most the maximum');
  }
  if (p.kind === 'leaf' && (p.keyUsage.includes('keyCertSign') || p.nameConstraints || p.pathLength !== undefined)) {
    throw new ColdrootError('PROFILE_INVALID', `Profile ${source}: a leaf profile cannot have keyCertSign, pathLength or nameConstraints`, "Use kind 'ca' for CA certificates");
  }
  if (p.kind === 'ca' && !p.keyUsage.includes('keyCertSign')) {
    throw new ColdrootError('PROFILE_INVALID', `Profile ${source}: a CA profile needs keyUsage keyCertSign`, 'Add keyCertSign (and cRLSign) to keyUsage');
  }
  return p;
}

export function readProfileFile(path: string): CertificateProfile {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new ColdrootError('PROFILE_INVALID', `Profile file ${path} cannot be read as JSON: ${(e as Error).message}`, 'Give a JSON file; see docs/profiles.md');
  }
  return parseProfile(json, path);
}
