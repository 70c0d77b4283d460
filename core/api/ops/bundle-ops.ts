import { z } from 'zod';
import { op } from '../op.js';
import { CaId, Empty, Iso, KeyAlgorithm, KeySecret, Secret } from './common.js';
import { BundleRow } from './system-ops.js';

/** A file the operator handed to the console (dropped or chosen), held in the session's staging folder. */
export const StagedFile = z.object({ id: z.string(), name: z.string(), size: z.number(), sha256: z.string() });
const StagedId = z.string().regex(/^[a-f0-9]{32}$/, 'a staged file id');

export const Limits = z.strictObject({
  maxBundleBytes: z.number().int().min(1).optional(), maxManifestBytes: z.number().int().min(1).optional(), maxFileBytes: z.number().int().min(1).optional(),
  maxDecompressedBytes: z.number().int().min(1).optional(), maxCompressionRatio: z.number().int().min(1).optional(), maxFiles: z.number().int().min(1).optional(),
  maxLineBytes: z.number().int().min(1).optional(),
});

const CHECK_STATUS = ['passed', 'failed', 'skipped', 'not-run'] as const;
const Failure = z.object({ code: z.string(), check: z.string().nullable(), message: z.string(), hint: z.string() });

export const InspectReport = z.object({
  name: z.string(),
  size: z.number().nullable(),
  sha256: z.string().nullable(),
  verdict: z.enum(['valid', 'known', 'rejected']),
  importable: z.boolean(),
  type: z.string().optional(),
  bundleId: z.string().optional(),
  sequence: z.number().optional(),
  createdAt: z.string().optional(),
  signingTime: z.string().nullable().optional(),
  producer: z.object({ subject: z.string(), issuer: z.string(), serial: z.string(), certificateSha256: z.string(), notAfter: z.string(), caId: z.string().optional(), chain: z.array(z.string()).optional() }).optional(),
  known: z.object({ direction: z.enum(['import', 'export']), at: z.string(), operator: z.string() }).optional(),
  files: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string(), schema: z.string().optional(), records: z.number().optional() })),
  records: z.number().optional(),
  checks: z.array(z.object({ check: z.string(), status: z.enum(CHECK_STATUS) })),
  failure: Failure.optional(),
});

export const ImportOutcome = z.discriminatedUnion('status', [
  z.object({ name: z.string(), status: z.literal('accepted'), bundleId: z.string(), type: z.string(), producer: z.string(), sequence: z.number(), records: z.number(), sha256: z.string() }),
  z.object({ name: z.string(), status: z.literal('already-imported'), bundleId: z.string(), type: z.string(), importedAt: z.string(), sha256: z.string() }),
  z.object({ name: z.string(), status: z.literal('rejected'), code: z.string(), check: z.string().nullable(), message: z.string(), hint: z.string(), quarantine: z.string().nullable() }),
]);

export const QuarantineEntry = z.object({ file: z.string(), bundle: z.string(), sha256: z.string(), rejectedAt: Iso, operator: z.string(), check: z.string().nullable(), code: z.string(), message: z.string(), hint: z.string() });

export const RenewalRequestRow = z.object({
  requestId: z.string(), bundleId: z.string(), host: z.string(), profile: z.string(), reason: z.string(), subject: z.string(), proofKind: z.string(),
  status: z.enum(['pending', 'issued', 'rejected']), answeredIn: z.string().nullable(), issuedSerial: z.string().nullable(), rejectionCode: z.string().nullable(), receivedAt: z.string(),
});

export const BundleSigner = z.object({
  id: z.number(), keyUri: z.string(), keyAlgorithm: z.string(), caId: z.string(), serial: z.string(), subject: z.string(), notBefore: Iso, notAfter: Iso,
  certificateSha256: z.string(), certificatePem: z.string(),
});

export const RenewalExport = z.object({
  path: z.string(), bundleId: z.string(), inReplyTo: z.string(), sequence: z.number(),
  issued: z.array(z.object({ requestId: z.string(), host: z.string(), serial: z.string(), notAfter: Iso })),
  rejected: z.array(z.object({ requestId: z.string(), host: z.string(), code: z.string(), message: z.string() })),
  crls: z.array(z.string()), warnings: z.array(z.string()), sha256: z.string(), size: z.number(),
  /** Approved risk actions this bundle carried (marked exported with it). */
  actions: z.array(z.number()).default([]),
});

export const bundleOps = {
  listStaged: op(Empty, z.array(StagedFile), 'read', 'files handed to this session and not yet imported'),
  inspectBundle: op(z.strictObject({ stagedId: StagedId, limits: Limits.optional() }), InspectReport, 'read', 'every import check, as a report, storing nothing'),
  importBundles: op(z.strictObject({ stagedIds: z.array(StagedId).min(1).max(10_000), limits: Limits.optional() }), z.array(ImportOutcome), 'write',
    'verify and import bundles; rejected ones are quarantined with their reason'),
  listBundles: op(z.strictObject({ type: z.string().max(32).optional(), direction: z.enum(['import', 'export']).optional(), limit: z.number().int().min(1).max(1000).default(100) }),
    z.array(BundleRow), 'read', 'bundles imported and exported, newest first'),
  listQuarantine: op(Empty, z.array(QuarantineEntry), 'read', 'rejected bundles kept in the home with their reasons'),
  bundleSigner: op(Empty, BundleSigner.nullable(), 'read', "the console's current bundle-signing identity, if any"),
  createBundleSigner: op(z.strictObject({
    caId: CaId, caSecret: KeySecret, keyStorage: z.enum(['software', 'pkcs11']), modulePath: z.string().max(4096).optional(), tokenLabel: z.string().max(32).optional(),
    /** Passphrase of the new software key, or the PIN of the token it is generated on. */
    keySecret: Secret, algorithm: KeyAlgorithm.optional(),
  }), BundleSigner, 'write', 'make the key that signs exported bundles, certified by a CA of this home'),
  exportRenewalBundle: op(z.strictObject({
    caId: CaId, caSecret: KeySecret, signerSecret: KeySecret, requestBundle: z.string().max(64).optional(), hosts: z.array(z.string().max(253)).max(100_000).optional(),
    outDir: z.string().min(1).max(4096).optional(), ocspValidityHours: z.number().int().min(1).max(744).optional(),
    /** Carry the approved risk actions (the Queue screen's plan): investigation instructions, and the renewals of answered hosts. */
    fromQueue: z.boolean().optional(),
  }), RenewalExport, 'write', 'answer pending renewal requests: issue, add chain, CRLs and OCSP, sign the renewal bundle into a folder'),
  listRenewalRequests: op(z.strictObject({ status: z.enum(['pending', 'issued', 'rejected']).optional(), limit: z.number().int().min(1).max(10_000).default(500) }),
    z.array(RenewalRequestRow), 'read', 'renewal requests received in bundles'),
};
