import { z } from 'zod';
import { op } from '../op.js';
import { CaId, Empty, Iso, KeySecret } from './common.js';

/*
 * Agent packages and renewal counters (issue 5's packaging, driven from the console). Host names
 * are only bounded here: the handlers check them with checkDevices, the generator's own rule, so
 * the console and the CLI refuse the same names with the same message.
 */

const Hosts = z.array(z.string().min(1).max(253)).min(1, 'name at least one host').max(1000, 'one run packages at most 1000 hosts');
/** Renew when the certificate expires within this many days (the agent's renewal.thresholdDays). */
const ThresholdDays = z.number().int().min(1).max(3650);
/** Validity of the bootstrap certificates, e.g. '1095d' (the device-bootstrap profile's default; at most 1826d). */
const BootstrapValidity = z.string().regex(/^[1-9][0-9]{0,5}[hd]$/, "a duration such as '1095d'");

export const RenewalCounters = z.object({
  received: z.number(), validated: z.number(), issued: z.number(), pending: z.number(), rejected: z.number(),
  rejectedAnswered: z.number(), rejectedInQuarantine: z.number(),
  bundles: z.object({ imported: z.number(), quarantined: z.number() }),
  rejectionCodes: z.record(z.string(), z.number()),
  byProof: z.record(z.string(), z.number()),
  lastReceivedAt: z.string().nullable(),
});

const TrustAnchor = z.object({ caId: z.string(), subject: z.string(), sha256: z.string() });

export const AgentPackagePreview = z.object({
  caId: z.string(), issuer: z.string(), profile: z.string(), profileSummary: z.string(), keyUsage: z.array(z.string()), extendedKeyUsage: z.array(z.string()),
  validity: z.string(), notBefore: Iso, notAfter: Iso,
  hosts: z.array(z.object({ host: z.string(), subject: z.string(), dns: z.array(z.string()) })),
  thresholdDays: z.number(),
  anchors: z.array(TrustAnchor),
  signer: z.object({ subject: z.string(), caId: z.string(), serial: z.string(), certificateSha256: z.string(), keyUri: z.string() }),
});

const Sea = z.union([
  z.object({ status: z.literal('built'), path: z.string(), size: z.number() }),
  z.object({ status: z.literal('skipped'), reason: z.string() }),
]);

export const AgentPackages = z.object({
  /** The folder the packages were written to (a new one per run). */
  folder: z.string(),
  packages: z.array(z.object({
    host: z.string(), path: z.string(), bundleId: z.string(), sequence: z.number(), sha256: z.string(), size: z.number(),
    bootstrap: z.object({ caId: z.string(), serial: z.string(), subject: z.string(), notBefore: Iso, notAfter: Iso, fingerprintSha256: z.string() }),
  })),
  anchors: z.array(TrustAnchor),
  agent: z.object({ size: z.number(), sha256: z.string(), buildMs: z.number(), inputs: z.number(), entry: z.string(), sea: Sea }),
  signer: z.object({ subject: z.string(), certificateSha256: z.string() }),
});

const PackageRequest = { caId: CaId, hosts: Hosts, thresholdDays: ThresholdDays.optional(), bootstrapValidity: BootstrapValidity.optional() };

export const agentOps = {
  renewalCounters: op(Empty, RenewalCounters, 'read', 'renewal requests received, validated, issued, pending and rejected, with rejection codes'),
  previewAgentPackages: op(z.strictObject(PackageRequest), AgentPackagePreview, 'read',
    'exactly what an agent-package run will sign: hosts, profile, validity, trust anchors, signer; needs no secret'),
  generateAgentPackages: op(z.strictObject({
    ...PackageRequest, caSecret: KeySecret, signerSecret: KeySecret,
    /** Folder on this machine (the USB stick); default: exports/ in the home. A new agent-packages-<time> folder is made inside. */
    outDir: z.string().min(1).max(4096).optional(),
  }), AgentPackages, 'write', 'issue bootstrap certificates and write one signed agent-package bundle per host into a new folder'),
};
