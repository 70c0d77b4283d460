import { readFileSync } from 'node:fs';
import type Database from 'better-sqlite3';
import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError } from '../errors.js';
import { describeCertificate, readCertificates, type CertificateInfo } from '../x509/certificate-info.js';
import { validatePath, type PathValidationResult } from '../x509/path/index.js';

/** TCG EK certificate purpose (tcg-kp-EKCertificate); not every vendor sets it, so it is reported, not required. */
export const TCG_KP_EK_CERTIFICATE = '2.23.133.8.1';

export interface VendorCertificate {
  sha256: string;
  kind: 'root' | 'intermediate';
  subject: string;
  notAfter: string;
  addedAt: string;
  operator: string;
}

export interface AddVendorRootsResult {
  added: VendorCertificate[];
  /** Certificates of the file this home already held. */
  present: string[];
}

const COLUMNS = 'sha256, kind, subject, not_after AS notAfter, added_at AS addedAt, operator';

export function listVendorCertificates(db: Database.Database): VendorCertificate[] {
  return db.prepare(`SELECT ${COLUMNS} FROM tpm_vendor_certificates ORDER BY id`).all() as VendorCertificate[];
}

function vendorDer(db: Database.Database, kind: 'root' | 'intermediate'): Uint8Array[] {
  return (db.prepare('SELECT der FROM tpm_vendor_certificates WHERE kind = ? ORDER BY id').all(kind) as { der: Buffer }[]).map((r) => new Uint8Array(r.der));
}

/**
 * Adds TPM vendor CA certificates from a PEM (or DER) file: self-issued ones become trust anchors
 * for EK certificates; the others are intermediates and must chain to a root of this home (or of
 * the same file) now, since EK certificates rarely carry their issuer and TPMs hold no chain.
 */
export function addVendorRoots(ctx: OperationContext, file: string): AddVendorRootsResult {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch {
    throw new ColdrootError('FILE_NOT_FOUND', `Cannot read vendor certificate file ${file}`, 'Check the path');
  }
  const ders = readCertificates(new Uint8Array(data));
  if (!ders.length) throw new ColdrootError('VENDOR_ROOT_INVALID', `${file} holds no PEM or DER certificate`, "Give the TPM vendor's CA certificate (PEM), e.g. from the vendor's web site");
  const infos: Array<{ der: Uint8Array; info: CertificateInfo }> = ders.map((der, i) => {
    try {
      return { der, info: describeCertificate(der) };
    } catch (e) {
      throw new ColdrootError('VENDOR_ROOT_INVALID', `Certificate ${i + 1} of ${file} cannot be parsed: ${(e as Error).message}`, 'Give PEM or DER X.509 certificates');
    }
  });
  const now = ctx.now();
  for (const { info } of infos) {
    if (!info.isCa) throw new ColdrootError('VENDOR_ROOT_INVALID', `${info.subject} in ${file} is not a CA certificate (basicConstraints cA is not set)`, 'Add the vendor CA certificates that issue EK certificates, not an EK certificate itself');
  }
  const roots = [...vendorDer(ctx.store.db, 'root'), ...infos.filter((x) => x.info.selfIssued).map((x) => x.der)];
  const intermediates = [...vendorDer(ctx.store.db, 'intermediate'), ...infos.filter((x) => !x.info.selfIssued).map((x) => x.der)];
  for (const { der, info } of infos) {
    const r = validatePath({ leaf: der, intermediates, trustAnchors: info.selfIssued ? [der] : roots, at: now });
    if (!r.ok) {
      throw new ColdrootError('VENDOR_ROOT_INVALID', `${info.subject} in ${file} is not usable at ${now.toISOString()}: ${r.code}: ${r.message}`,
        info.selfIssued ? 'Check the certificate and this machine\'s clock' : 'Add the vendor root it chains to in the same file or first');
    }
  }
  const exists = ctx.store.db.prepare('SELECT 1 FROM tpm_vendor_certificates WHERE sha256 = ?');
  const fresh = infos.filter((x) => !exists.get(x.info.fingerprintSha256));
  const present = infos.filter((x) => !fresh.includes(x)).map((x) => x.info.subject);
  const added: VendorCertificate[] = fresh.map(({ info }) => ({ sha256: info.fingerprintSha256, kind: info.selfIssued ? 'root' : 'intermediate', subject: info.subject, notAfter: info.notAfter, addedAt: now.toISOString(), operator: ctx.operator }));
  if (!added.length) return { added, present };
  ctx.store.transaction(() => {
    const insert = ctx.store.db.prepare('INSERT INTO tpm_vendor_certificates (sha256, kind, subject, not_after, der, added_at, operator) VALUES (?, ?, ?, ?, ?, ?, ?)');
    fresh.forEach(({ der }, i) => insert.run(added[i].sha256, added[i].kind, added[i].subject, added[i].notAfter, Buffer.from(der), added[i].addedAt, added[i].operator));
    ctx.store.audit.append({
      actor: ctx.operator, role: ctx.role ?? null, action: 'tpm.vendor-root.add', inputs: { file: new Uint8Array(data) }, outcome: 'ok',
      details: { added: added.map((a) => ({ sha256: a.sha256, kind: a.kind, subject: a.subject })) },
    }, now);
  });
  return { added, present };
}

/** Validates an EK certificate against this home's TPM vendor certificates at `at` (RFC 5280, any purpose). */
export function validateEkCertificate(db: Database.Database, ek: Uint8Array, at: Date): PathValidationResult {
  const anchors = vendorDer(db, 'root');
  if (!anchors.length) return { ok: false, code: 'NO_VENDOR_ROOTS', message: 'this home has no TPM vendor roots (coldroot tpm add-vendor-root FILE)' };
  return validatePath({ leaf: ek, intermediates: vendorDer(db, 'intermediate'), trustAnchors: anchors, at });
}
