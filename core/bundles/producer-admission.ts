import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { PURPOSE_OIDS, validatePath, type PathValidationResult } from '../x509/path/index.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { sameBytes } from '../x509/public-key.js';
import { IMPORTABLE_TYPES } from './bundle-format.js';
import { reject } from './bundle-rejection.js';
import type { OpenedBundle } from './bundle-reader.js';
import { BundleRepository, type StoredBundle } from './bundle-repository.js';

/** How far ahead of the console's clock a bundle's createdAt may be (producers' clocks drift). */
export const CLOCK_SKEW_MS = 24 * 3600 * 1000;

export interface ProducerStanding {
  /** The CA (of this home) that issued the producer certificate, and its serial. */
  caId: string;
  serial: string;
  /** Subjects from the producer up to the trust anchor. */
  chain: string[];
  /**
   * The producer certificate has expired and the bundle was let in for a TPM recovery only: its
   * path was validated at the certificate's notAfter, and every request it carries must prove
   * itself with TPM attestation (enforced when the requests are read: core/attestation/request-proofs.ts).
   */
  recovery?: boolean;
}

export type Admission =
  | { verdict: 'new'; producer: ProducerStanding }
  | { verdict: 'known'; existing: StoredBundle };

const sha256 = (der: Uint8Array) => createHash('sha256').update(der).digest('hex');

function safeSubject(der: Uint8Array): string {
  try {
    return describeCertificate(der).subject;
  } catch {
    return 'undecodable';
  }
}

/** Certificates of this home's active CAs: the only trust anchors a bundle signer may chain to. */
export function trustAnchors(db: Database.Database): Uint8Array[] {
  return (db.prepare("SELECT certificate_der AS der FROM cas WHERE status = 'active' AND certificate_der IS NOT NULL ORDER BY created_at, id").all() as { der: Buffer }[])
    .map((r) => new Uint8Array(r.der));
}

function revocationOf(db: Database.Database, der: Uint8Array): { caId: string; serial: string; status: string; reason: string | null; revokedAt: string | null } | undefined {
  return db.prepare('SELECT ca_id AS caId, serial, status, revocation_reason AS reason, revoked_at AS revokedAt FROM certificates WHERE fingerprint_sha256 = ?').get(sha256(der)) as
    { caId: string; serial: string; status: string; reason: string | null; revokedAt: string | null } | undefined;
}

/** The anchor CA and every CA above it in this home must still stand (not revoked by their parents). */
function assertCaLineNotRevoked(db: Database.Database, anchor: Uint8Array): void {
  let row = db.prepare('SELECT id, parent_id AS parentId, certificate_der AS der FROM cas WHERE certificate_der = ?').get(Buffer.from(anchor)) as { id: string; parentId: string | null; der: Buffer } | undefined;
  for (let depth = 0; row && depth < 16; depth++) {
    const r = revocationOf(db, new Uint8Array(row.der));
    if (r?.status === 'revoked') reject('BUNDLE_PRODUCER_REVOKED', `The producer's CA '${row.id}' was revoked by its parent (reason ${r.reason}, at ${r.revokedAt})`);
    if (!row.parentId) return;
    row = db.prepare('SELECT id, parent_id AS parentId, certificate_der AS der FROM cas WHERE id = ?').get(row.parentId) as typeof row;
  }
}

/**
 * Decides whether a bundle whose signature and manifest are good may be imported: a bundle seen
 * before with the same manifest is 'known' (a re-import, a no-op); otherwise the type must be one
 * the console takes, the signer must chain to an active CA of this home (RFC 5280 validation at
 * `now`, key usage digitalSignature, EKU emailProtection: the purpose openssl cms -verify checks),
 * be in this home's inventory and not be revoked (nor any CA above it), and neither the bundle id
 * nor the (producer, sequence) may have been seen. The one exception to validation at `now`: an
 * expired renewal-request signer, let in for TPM recovery only (see expiredSignerRecovery).
 */
export function admitBundle(db: Database.Database, b: OpenedBundle, now: Date, opts: { importing: boolean }): Admission {
  const repo = new BundleRepository(db);
  if (opts.importing && !IMPORTABLE_TYPES.includes(b.manifest.type)) {
    reject('BUNDLE_TYPE_NOT_IMPORTABLE', `This is a ${b.manifest.type} bundle; the console imports ${IMPORTABLE_TYPES.join(', ')} bundles`, 'Renewal bundles go to the hosts (their agent installs them); inspect one with: coldroot bundle inspect FILE');
  }
  const existing = repo.findByBundleId(b.manifest.bundleId);
  if (existing && existing.manifestSha256 === b.manifestSha256) return { verdict: 'known', existing };
  if (Date.parse(b.manifest.createdAt) > now.getTime() + CLOCK_SKEW_MS) {
    reject('BUNDLE_CREATED_IN_FUTURE', `The bundle says it was created at ${b.manifest.createdAt}, more than a day after this console's clock (${now.toISOString()})`, "Check this machine's clock and the producer's");
  }

  const anchors = trustAnchors(db);
  const pathAt = (at: Date) => validatePath({
    leaf: b.signer.certificate,
    intermediates: b.signer.certificates.filter((c) => c !== b.signer.certificate),
    trustAnchors: anchors,
    at,
    keyUsage: ['digitalSignature'],
    purpose: PURPOSE_OIDS.emailProtection,
  });
  let path = pathAt(now);
  const recovery = !path.ok && expiredSignerRecovery(b, anchors, now);
  if (recovery) path = recovery;
  if (!path.ok) reject('BUNDLE_SIGNER_UNTRUSTED', `The producer certificate (${b.signer.subject}) does not chain to a CA of this home: ${path.code}: ${path.message}`);

  // Whatever else manifest.p7s carries must be on the path or be a CA certificate this home holds: nothing rides along unchecked.
  for (const c of b.signer.certificates) {
    if (!path.chain.some((p) => sameBytes(p, c)) && !anchors.some((a) => sameBytes(a, c))) {
      reject('BUNDLE_SIGNER_UNTRUSTED', `manifest.p7s carries a certificate that is not on the producer's path to this home's CA (${safeSubject(c)})`);
    }
  }
  const own = revocationOf(db, b.signer.certificate);
  if (!own) {
    reject('BUNDLE_PRODUCER_UNKNOWN', `The producer certificate (${b.signer.subject}, serial ${b.signer.serial}) chains to this home's CA but is not in its inventory, so its revocation status is unknown`,
      'Issue device certificates from this console (coldroot issue --profile device-management) so that the console knows them');
  }
  if (own.status === 'revoked') reject('BUNDLE_PRODUCER_REVOKED', `The producer certificate (${b.signer.subject}, serial ${own.serial} of CA '${own.caId}') was revoked at ${own.revokedAt} (reason ${own.reason})`);
  for (const ca of path.chain.slice(1, -1)) {
    const r = revocationOf(db, ca);
    if (r?.status === 'revoked') reject('BUNDLE_PRODUCER_REVOKED', `The producer's issuing CA (${describeCertificate(ca).subject}) was revoked (reason ${r.reason}, at ${r.revokedAt})`);
  }
  assertCaLineNotRevoked(db, path.chain[path.chain.length - 1]);

  if (existing) {
    reject('BUNDLE_ID_REPLAYED', `Bundle id ${b.manifest.bundleId} was already ${existing.direction === 'import' ? 'imported' : 'exported'} (at ${existing.processedAt}) with a different manifest`);
  }
  const previous = repo.findBySequence(b.signer.sha256, b.manifest.sequence);
  if (previous) {
    reject('BUNDLE_SEQUENCE_REPLAYED', `Producer ${b.signer.subject} already sent sequence number ${b.manifest.sequence} (bundle ${previous.bundleId}, imported at ${previous.processedAt})`);
  }
  return { verdict: 'new', producer: { caId: own.caId, serial: own.serial, chain: path.chain.map((c) => describeCertificate(c).subject), ...(recovery ? { recovery: true } : {}) } };
}

/**
 * TPM recovery (docs/tpm-attestation.md): a renewal-request bundle whose signer has expired (and
 * only that: the leaf's own validity) is admitted when the signer's path validates at its notAfter
 * and the CAs above it validate now. Returns that path, or null to keep the original failure.
 */
function expiredSignerRecovery(b: OpenedBundle, anchors: Uint8Array[], now: Date): Extract<PathValidationResult, { ok: true }> | null {
  const notAfter = new Date(b.signer.notAfter);
  if (b.manifest.type !== 'renewal-request' || !(notAfter < now)) return null;
  const intermediates = b.signer.certificates.filter((c) => c !== b.signer.certificate);
  const then = validatePath({ leaf: b.signer.certificate, intermediates, trustAnchors: anchors, at: notAfter, keyUsage: ['digitalSignature'], purpose: PURPOSE_OIDS.emailProtection });
  if (!then.ok || then.chain.length < 2) return null;
  const issuers = validatePath({ leaf: then.chain[1], intermediates: then.chain.slice(2), trustAnchors: anchors, at: now });
  return issuers.ok ? then : null;
}
