import { z } from 'zod';
import { op } from '../op.js';
import { CaId, Iso, REVOCATION_REASONS, Serial } from './common.js';
import { DecodedExtension } from './ca-ops.js';

export const CERTIFICATE_SORTS = ['notAfter', 'issuedAt', 'subject', 'serial'] as const;
export const CERTIFICATE_STATES = ['valid', 'expired', 'revoked'] as const;
export const RISK_LEVELS = ['low', 'medium', 'high', 'critical'] as const;

export const CertificateQuery = z.strictObject({
  text: z.string().max(256).optional(),
  caId: CaId.optional(),
  issuer: z.string().max(256).optional(),
  state: z.enum(CERTIFICATE_STATES).optional(),
  profile: z.string().max(64).optional(),
  risk: z.enum(RISK_LEVELS).optional(),
  expiresAfter: z.string().max(40).optional(),
  expiresBefore: z.string().max(40).optional(),
  sort: z.enum(CERTIFICATE_SORTS).default('notAfter'),
  order: z.enum(['asc', 'desc']).default('asc'),
  offset: z.number().int().min(0).default(0),
  limit: z.number().int().min(1).max(500).default(100),
});

export const CertificateRow = z.object({
  caId: z.string(), issuer: z.string(), serial: z.string(), subject: z.string(), sans: z.array(z.string()), profile: z.string(),
  notBefore: Iso, notAfter: Iso, issuedAt: Iso, state: z.enum(CERTIFICATE_STATES), revokedAt: Iso.nullable(), revocationReason: z.string().nullable(),
  fingerprintSha256: z.string(), risk: z.object({ level: z.string(), score: z.number(), computedAt: Iso }).nullable(),
});

export const CertificatePage = z.object({ total: z.number(), offset: z.number(), rows: z.array(CertificateRow), tookMs: z.number() });

export const CertificateDetail = z.object({
  caId: z.string(),
  issuerCa: z.string(),
  serial: z.string(),
  profile: z.string(),
  state: z.enum(CERTIFICATE_STATES),
  revokedAt: Iso.nullable(),
  revocationReason: z.string().nullable(),
  issuedAt: Iso,
  fields: z.object({
    version: z.number(),
    serialHex: z.string(),
    serialDecimal: z.string(),
    signatureAlgorithm: z.string(),
    issuer: z.string(),
    notBefore: Iso,
    notAfter: Iso,
    subject: z.string(),
    publicKey: z.object({ algorithm: z.string(), parameters: z.string(), bits: z.number().nullable(), hex: z.string() }),
    signatureValue: z.string(),
  }),
  extensions: z.array(DecodedExtension),
  fingerprints: z.object({ sha1: z.string(), sha256: z.string() }),
  pem: z.string(),
  /** Set when the stored DER is not this row's own certificate (a benchmark fill row). */
  mismatch: z.string().nullable(),
});

export const certificateOps = {
  queryCertificates: op(CertificateQuery, CertificatePage, 'read', 'one page of the inventory: server-side filter, search, sort and paging'),
  getCertificate: op(z.strictObject({ caId: CaId, serial: Serial }), CertificateDetail, 'read', 'every field and extension of one certificate, decoded'),
  revokeCertificate: op(z.strictObject({ caId: CaId, serial: Serial, reason: z.enum(REVOCATION_REASONS) }),
    z.object({ caId: z.string(), serial: z.string(), reason: z.string(), revokedAt: Iso }), 'write', 'mark a certificate revoked (it appears on the next CRL and OCSP responses)'),
};
