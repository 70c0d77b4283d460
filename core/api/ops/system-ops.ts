import { z } from 'zod';
import { op } from '../op.js';
import { CaId, Empty, Iso, Progress } from './common.js';

export const SessionInfo = z.object({
  home: z.string(),
  operator: z.string(),
  host: z.enum(['browser', 'electron']),
  version: z.string(),
  cas: z.number(),
  certificates: z.number(),
  /** A fresh home: no CA yet, so the console opens the first-run flow. */
  firstRun: z.boolean(),
});

export const CaHealth = z.object({
  id: z.string(),
  name: z.string(),
  kind: z.enum(['root', 'intermediate']),
  status: z.string(),
  parentId: z.string().nullable(),
  subject: z.string(),
  serial: z.string().nullable(),
  notBefore: z.string().nullable(),
  notAfter: z.string().nullable(),
  keyUri: z.string(),
  keyAlgorithm: z.string(),
  keyStorage: z.enum(['software', 'pkcs11']),
  certificates: z.number(),
  revoked: z.number(),
  lastCrl: z.object({ number: z.number(), thisUpdate: Iso, nextUpdate: Iso }).nullable(),
  crlUrl: z.string().nullable(),
  ocspUrl: z.string().nullable(),
  /** Problems an operator should see first: expiry soon, CRL stale or never published, token absent. */
  warnings: z.array(z.string()),
  /** PKCS#11 CAs: whether the token named in the key URI is present now (null for software keys). */
  tokenPresent: z.boolean().nullable(),
});

export const BundleRow = z.object({
  bundleId: z.string(),
  direction: z.enum(['import', 'export']),
  type: z.string(),
  producerSubject: z.string(),
  sequence: z.number(),
  createdAt: Iso,
  records: z.number(),
  processedAt: Iso,
  operator: z.string(),
  fileSha256: z.string().nullable(),
});

export const Overview = z.object({
  /** The console's clock when it counted: "expiring in 30 days" and expired are relative to it. */
  asOf: Iso,
  cas: z.array(CaHealth),
  certificates: z.object({ total: z.number(), valid: z.number(), revoked: z.number(), expired: z.number(), expiringIn30Days: z.number() }),
  expiringSoon: z.array(z.object({ caId: z.string(), serial: z.string(), subject: z.string(), notAfter: Iso, profile: z.string() })),
  recentImports: z.array(BundleRow),
  renewalRequests: z.object({ pending: z.number(), issued: z.number(), rejected: z.number() }),
  /** The hosts' agents' own latest risk reports. */
  risk: z.object({ reports: z.number(), hosts: z.number(), high: z.number(), critical: z.number() }),
  /** The console's scores: each certificate's latest, by level, and the model that made the newest. */
  scores: z.object({ certificates: z.number(), hosts: z.number(), high: z.number(), critical: z.number(), newestModel: z.number().nullable(), scoredAt: Iso.nullable() }),
  /** The action queue: proposals waiting for an operator, and approved ones not yet exported or closed. */
  actions: z.object({ pending: z.number(), approved: z.number() }),
  audit: z.object({ entries: z.number(), lastAt: Iso.nullable() }),
});

export const TokenInfo = z.object({ slotId: z.string(), label: z.string(), manufacturer: z.string(), model: z.string(), serial: z.string(), initialized: z.boolean() });

export const Settings = z.object({
  pkcs11Modules: z.array(z.object({ path: z.string(), present: z.boolean() })),
  bundleLimits: z.object({
    maxBundleBytes: z.number(), maxManifestBytes: z.number(), maxFileBytes: z.number(), maxDecompressedBytes: z.number(),
    maxCompressionRatio: z.number(), maxFiles: z.number(), maxLineBytes: z.number(),
  }),
  profiles: z.array(z.object({ name: z.string(), description: z.string(), kind: z.enum(['ca', 'leaf']), validityDefault: z.string(), validityMax: z.string() })),
});

export const DemoFleet = z.object({
  rootCaId: CaId,
  deviceCaId: CaId,
  hosts: z.number(),
  certificates: z.number(),
  revoked: z.number(),
  bundlesImported: z.number(),
  metricRows: z.number(),
  /** Bundles left for the operator to import on the Import screen. */
  inbox: z.string(),
  passphrase: z.string(),
});

export const systemOps = {
  session: op(Empty, SessionInfo, 'read', 'who and where: home, operator, host, whether this is a first run'),
  overview: op(Empty, Overview, 'read', 'CAs and their health, inventory counts, expiring certificates, recent imports, queue, risk'),
  settings: op(Empty, Settings, 'read', 'PKCS#11 module candidates, default bundle limits, certificate profiles'),
  listPkcs11Tokens: op(z.strictObject({ modulePath: z.string().min(1).max(4096) }), z.array(TokenInfo), 'read', 'tokens present in a PKCS#11 module'),
  loadDemoFleet: op(z.strictObject({ hosts: z.number().int().min(1).max(2000).default(60) }), DemoFleet, 'write', 'a lab CA pair on software keys, a simulated fleet and its bundles'),
  progress: op(z.strictObject({ callId: z.string().min(1).max(64) }), Progress.nullable(), 'read', 'progress of a long call in flight'),
};
