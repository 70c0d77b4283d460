import { z } from 'zod';
import { op } from '../op.js';
import { CaId, Iso, KeyAlgorithm, KeySecret, Secret } from './common.js';

const Url = z.string().url().max(2048);
const DnsList = z.array(z.string().min(1).max(253)).max(100);

/** What the operator asks for; the same draft is previewed and then signed. */
export const CaDraft = z.strictObject({
  kind: z.enum(['root', 'intermediate']),
  parentId: CaId.optional(),
  name: z.string().min(3).max(1024),
  algorithm: KeyAlgorithm,
  keyStorage: z.enum(['software', 'pkcs11']),
  modulePath: z.string().max(4096).optional(),
  tokenLabel: z.string().max(32).optional(),
  validityDays: z.number().int().min(1).max(9132).optional(),
  pathLength: z.number().int().min(0).max(16).nullable().optional(),
  permittedDns: DnsList.optional(),
  excludedDns: DnsList.optional(),
  crlUrl: Url.optional(),
  ocspUrl: Url.optional(),
  caIssuersUrl: Url.optional(),
});

export const DecodedExtension = z.object({ oid: z.string(), name: z.string(), critical: z.boolean(), value: z.array(z.string()) });

export const CaPreview = z.object({
  profile: z.string(),
  subject: z.string(),
  issuer: z.string(),
  notBefore: Iso,
  notAfter: Iso,
  serial: z.string(),
  keyAlgorithm: z.string(),
  signatureAlgorithm: z.string(),
  keyLocation: z.string(),
  signedBy: z.string(),
  extensions: z.array(DecodedExtension),
  /** URLs this CA will write into the certificates it issues (not into its own certificate). */
  issuesWith: z.object({ crlUrl: z.string().nullable(), ocspUrl: z.string().nullable(), caIssuersUrl: z.string().nullable() }),
});

export const CaSummary = z.object({
  id: z.string(), name: z.string(), kind: z.enum(['root', 'intermediate']), status: z.string(), parentId: z.string().nullable(), subject: z.string(),
  serial: z.string().nullable(), notBefore: z.string().nullable(), notAfter: z.string().nullable(), keyUri: z.string(), keyAlgorithm: z.string(),
  certificatePem: z.string().nullable(),
});

export const caOps = {
  previewCa: op(z.strictObject({ draft: CaDraft }), CaPreview, 'read', 'exactly what a root or intermediate ceremony will sign, before any key exists'),
  /** keySecret: the passphrase of the new software key, or the user PIN of the token the draft names. */
  createRootCa: op(z.strictObject({ draft: CaDraft, keySecret: Secret }), CaSummary, 'write', 'generate the key (token or software) and self-sign the root'),
  createIntermediateCa: op(z.strictObject({ draft: CaDraft, keySecret: Secret, parentSecret: KeySecret }), CaSummary, 'write', 'generate the key and sign the intermediate with its parent'),
  exportChain: op(z.strictObject({ caId: CaId }), z.object({ caId: z.string(), fileName: z.string(), pem: z.string(), certificates: z.number() }), 'read', 'PEM of a CA and its parents up to the root'),
  publishCrl: op(z.strictObject({ caId: CaId, secret: KeySecret, nextUpdateHours: z.number().int().min(1).max(9600).optional() }),
    z.object({ caId: z.string(), crlNumber: z.number(), thisUpdate: Iso, nextUpdate: Iso, revokedCount: z.number(), pem: z.string(), fileName: z.string() }), 'write', 'sign the next full CRL'),
  presignOcsp: op(z.strictObject({ caId: CaId, secret: KeySecret, outDir: z.string().min(1).max(4096).optional(), validityHours: z.number().int().min(1).max(9600).optional() }),
    z.object({ caId: z.string(), signedBy: z.string(), outDir: z.string(), responses: z.number(), good: z.number(), revoked: z.number(), thisUpdate: Iso, nextUpdate: Iso }), 'write', 'pre-sign an OCSP response for every certificate of a CA into a folder'),
};
