import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ColdrootError } from '../errors.js';
import { reject } from './bundle-rejection.js';

/**
 * The bundle format (docs/bundles.md): a plain ustar archive whose first entry is manifest.json,
 * second manifest.p7s (detached CMS SignedData over manifest.json), then the payload files in the
 * order the manifest lists them.
 */
export const FORMAT_VERSION = 1;
export const MANIFEST_NAME = 'manifest.json';
export const SIGNATURE_NAME = 'manifest.p7s';

export const BUNDLE_TYPES = ['metrics', 'risk-report', 'renewal-request', 'renewal', 'agent-package'] as const;
export type BundleType = (typeof BUNDLE_TYPES)[number];
/** Named by the format but defined by a later version; refused with a clear message meanwhile. */
export const RESERVED_TYPES = ['sync'] as const;
/** What the console accepts on import; `renewal` and `agent-package` bundles travel the other way (console → host). */
export const IMPORTABLE_TYPES: readonly BundleType[] = ['metrics', 'risk-report', 'renewal-request'];

/** Payload file names: relative, '/'-separated, at most one folder deep, portable characters only. */
const SEGMENT = '[A-Za-z0-9][A-Za-z0-9._-]{0,63}';
export const FILE_NAME = new RegExp(`^${SEGMENT}(?:/${SEGMENT})?$`);
const HEX64 = /^[0-9a-f]{64}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

export const ManifestFileSchema = z.strictObject({
  name: z.string().regex(FILE_NAME, "a relative name such as 'metrics.ndjson.gz' or 'certs/web-01.pem'").max(100),
  size: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  sha256: z.string().regex(HEX64, '64 lowercase hex digits'),
  /** Versioned schema of the file's content, e.g. 'coldroot.metrics.v1'. */
  schema: z.string().regex(/^[a-z][a-z0-9.-]{0,63}$/).optional(),
  /** Number of records (metric samples, reports, requests) the file holds. */
  records: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
});
export type ManifestFile = z.infer<typeof ManifestFileSchema>;

export const ManifestSchema = z.strictObject({
  type: z.enum(BUNDLE_TYPES),
  formatVersion: z.literal(FORMAT_VERSION),
  bundleId: z.string().regex(UUID, 'a lowercase UUID'),
  producer: z.strictObject({
    /** SHA-256 of the DER producer certificate: the one that signs manifest.p7s. */
    certificateSha256: z.string().regex(HEX64, '64 lowercase hex digits'),
    subject: z.string().min(1).max(1024),
    issuer: z.string().min(1).max(1024),
    serial: z.string().regex(/^[0-9a-f]{1,40}$/, 'lowercase hex'),
  }),
  sequence: z.number().int().min(1).max(Number.MAX_SAFE_INTEGER),
  createdAt: z.string().regex(ISO_UTC, 'an ISO 8601 UTC time such as 2026-01-31T12:00:00Z'),
  inReplyTo: z.string().regex(UUID, 'a lowercase UUID').optional(),
  files: z.array(ManifestFileSchema).min(1).max(10_000),
});
export type Manifest = z.infer<typeof ManifestSchema>;

/** Parses manifest.json strictly: unknown keys, duplicate file names and reserved names are refused. */
export function parseManifest(bytes: Uint8Array): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    reject('BUNDLE_MANIFEST_INVALID', `manifest.json is not UTF-8 JSON: ${(e as Error).message}`);
  }
  if (json && typeof json === 'object' && 'type' in json && (RESERVED_TYPES as readonly unknown[]).includes((json as { type: unknown }).type)) {
    reject('BUNDLE_FORMAT_UNSUPPORTED', `Bundle type '${(json as { type: string }).type}' is reserved and not supported by this Coldroot`, 'Use a Coldroot version that supports it');
  }
  if (json && typeof json === 'object' && 'formatVersion' in json && (json as { formatVersion: unknown }).formatVersion !== FORMAT_VERSION) {
    reject('BUNDLE_FORMAT_UNSUPPORTED', `manifest.json has formatVersion ${JSON.stringify((json as { formatVersion: unknown }).formatVersion)}; this Coldroot reads version ${FORMAT_VERSION}`, 'Use a Coldroot version that reads this format');
  }
  const r = ManifestSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    reject('BUNDLE_MANIFEST_INVALID', `manifest.json: ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  }
  const m = r.data;
  const seen = new Set<string>();
  for (const f of m.files) {
    if (f.name === MANIFEST_NAME || f.name === SIGNATURE_NAME) reject('BUNDLE_MANIFEST_INVALID', `manifest.json lists the reserved name '${f.name}' as a payload file`);
    if (seen.has(f.name)) reject('BUNDLE_MANIFEST_INVALID', `manifest.json lists '${f.name}' twice`);
    seen.add(f.name);
  }
  if (Number.isNaN(Date.parse(m.createdAt))) reject('BUNDLE_MANIFEST_INVALID', `manifest.json: createdAt '${m.createdAt}' is not a real date`);
  return m;
}

/** The exact bytes written as manifest.json: fixed key order, two-space indent, final newline. */
export function serializeManifest(m: Manifest): Uint8Array {
  const ordered: Manifest = {
    type: m.type, formatVersion: m.formatVersion, bundleId: m.bundleId,
    producer: { certificateSha256: m.producer.certificateSha256, subject: m.producer.subject, issuer: m.producer.issuer, serial: m.producer.serial },
    sequence: m.sequence, createdAt: m.createdAt, ...(m.inReplyTo ? { inReplyTo: m.inReplyTo } : {}),
    files: m.files.map((f) => ({ name: f.name, size: f.size, sha256: f.sha256, ...(f.schema ? { schema: f.schema } : {}), ...(f.records !== undefined ? { records: f.records } : {}) })),
  };
  return new TextEncoder().encode(`${JSON.stringify(ordered, null, 2)}\n`);
}

export function sha256Hex(data: Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Size limits applied while reading a bundle; every one can be raised by the operator. */
export interface BundleLimits {
  /** The whole bundle file. */
  maxBundleBytes: number;
  /** manifest.json and manifest.p7s each. */
  maxManifestBytes: number;
  /** Any one payload file, as stored in the archive. */
  maxFileBytes: number;
  /** Any one compressed payload once decompressed (the gzip-bomb guard). */
  maxDecompressedBytes: number;
  /** Decompressed/compressed ratio allowed once more than 1 MiB came out of a compressed file. */
  maxCompressionRatio: number;
  /** Payload files in one bundle. */
  maxFiles: number;
  /** Longest metric line (NDJSON) or row (CSV). */
  maxLineBytes: number;
}

export const DEFAULT_LIMITS: Readonly<BundleLimits> = {
  maxBundleBytes: 4 * 1024 ** 3,
  maxManifestBytes: 4 * 1024 ** 2,
  maxFileBytes: 4 * 1024 ** 3,
  maxDecompressedBytes: 16 * 1024 ** 3,
  maxCompressionRatio: 100,
  maxFiles: 10_000,
  maxLineBytes: 64 * 1024,
};

export function resolveLimits(partial: Partial<BundleLimits> = {}): BundleLimits {
  const limits = { ...DEFAULT_LIMITS, ...partial };
  for (const [k, v] of Object.entries(limits)) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw new ColdrootError('BAD_BUNDLE_LIMIT', `Bundle limit ${k} must be a positive whole number, got ${v}`, 'Give limits in bytes (or as a ratio), e.g. --max-bundle-size 1073741824');
    }
  }
  return limits;
}
