import type Database from 'better-sqlite3';
import { openIssuingCa } from '../ca/issuing-ca.js';
import type { OperationContext } from '../ca/operation-context.js';
import { applyProfile } from '../ca/profiles/apply-profile.js';
import { builtinProfile } from '../ca/profiles/builtin-profiles.js';
import { randomSerial } from '../ca/serial-number.js';
import { ColdrootError } from '../errors.js';
import type { KeyAlgorithm } from '../keys/key-algorithm.js';
import { generateKey, openKey, type KeySecret, type NewKeySpec } from '../keys/key-spec.js';
import { getCa, type CaRecord } from '../store/ca-repository.js';
import { insertCertificate } from '../store/certificate-repository.js';
import { toPem } from '../x509/asn1.js';
import { buildCertificate } from '../x509/certificate-builder.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { parseDistinguishedName } from '../x509/distinguished-name.js';
import { commonNamesOf } from '../x509/name-text.js';
import { describePublicKey, sameBytes } from '../x509/public-key.js';
import type { SigningIdentity } from './cms/cms-sign.js';

export const BUNDLE_SIGNING_PROFILE = 'bundle-signing';
export const DEFAULT_SIGNER_SUBJECT = 'CN=Coldroot Console Bundle Signer';

export interface CreateBundleSignerInput {
  /** The CA of this home that certifies the signer. */
  caId: string;
  caSecret: KeySecret;
  /** Where the signing key is made: software (encrypted in the home) or a PKCS#11 token. */
  key: NewKeySpec;
  algorithm?: KeyAlgorithm;
  subject?: string;
  validity?: string;
}

export interface BundleSignerSummary {
  id: number;
  keyUri: string;
  keyAlgorithm: KeyAlgorithm;
  caId: string;
  serial: string;
  subject: string;
  notBefore: string;
  notAfter: string;
  certificateSha256: string;
  certificatePem: string;
}

interface SignerRow { id: number; keyUri: string; keyAlgorithm: KeyAlgorithm; caId: string; serial: string; der: Buffer; status: string; revokedAt: string | null }

function summarize(r: SignerRow): BundleSignerSummary {
  const info = describeCertificate(new Uint8Array(r.der));
  return { id: r.id, keyUri: r.keyUri, keyAlgorithm: r.keyAlgorithm, caId: r.caId, serial: r.serial, subject: info.subject, notBefore: info.notBefore, notAfter: info.notAfter, certificateSha256: info.fingerprintSha256, certificatePem: toPem(r.der, 'CERTIFICATE') };
}

function latestRow(db: Database.Database): SignerRow | undefined {
  return db.prepare(`SELECT s.id, s.key_uri AS keyUri, s.key_algorithm AS keyAlgorithm, s.ca_id AS caId, s.serial, c.der, c.status, c.revoked_at AS revokedAt
    FROM bundle_signers s JOIN certificates c ON c.ca_id = s.ca_id AND c.serial = s.serial ORDER BY s.id DESC LIMIT 1`).get() as SignerRow | undefined;
}

/** The console's current bundle-signing identity (the newest one created), if any. */
export function currentBundleSigner(db: Database.Database): BundleSignerSummary | null {
  const r = latestRow(db);
  return r ? summarize(r) : null;
}

/** Certificates of the CA that issued `caId`'s certificate and those above it, root excluded (relying parties hold it). */
export function caChain(db: Database.Database, caId: string): Uint8Array[] {
  const chain: Uint8Array[] = [];
  let ca: CaRecord | null = getCa(db, caId);
  while (ca && ca.certificateDer && ca.kind !== 'root') {
    chain.push(ca.certificateDer);
    ca = ca.parentId ? getCa(db, ca.parentId) : null;
  }
  return chain;
}

/**
 * Gives the console its bundle-signing identity: a new key (software, or generated on the token
 * when the CA keys live in an HSM), certified by one of this home's CAs under the bundle-signing
 * profile. The certificate, the signer record and the audit entry are stored in one transaction.
 */
export async function createBundleSigner(ctx: OperationContext, input: CreateBundleSignerInput): Promise<BundleSignerSummary> {
  const algorithm = input.algorithm ?? 'ecdsa-p256';
  if (algorithm === 'ed25519') {
    throw new ColdrootError('BUNDLE_SIGNER_ALGORITHM', 'Bundle signatures cannot be Ed25519: OpenSSL 3.0 cannot verify Ed25519 CMS signatures', 'Use --algorithm ecdsa-p256, ecdsa-p384 or rsa-3072');
  }
  const dn = parseDistinguishedName(input.subject ?? DEFAULT_SIGNER_SUBJECT, '--subject');
  const profile = builtinProfile(BUNDLE_SIGNING_PROFILE);
  const n = (ctx.store.db.prepare('SELECT count(*) AS n FROM bundle_signers').get() as { n: number }).n + 1;
  const issuer = await openIssuingCa(ctx, input.caId, input.caSecret);
  try {
    const signer = await generateKey(input.key, ctx.store.keysDir, `bundle-signer-${n}`, algorithm);
    try {
      const spki = await signer.publicKey();
      const key = describePublicKey(spki);
      const plan = applyProfile(profile, { subject: dn.text, commonNames: commonNamesOf(dn.text), keyType: key.type, keyIdentifier: key.keyIdentifier, sans: {}, requestsCa: false },
        { keyIdentifier: issuer.keyIdentifier, notAfter: issuer.notAfter, pathLen: issuer.ca.pathLen, crlUrl: issuer.ca.crlUrl, ocspUrl: issuer.ca.ocspUrl, caIssuersUrl: issuer.ca.caIssuersUrl },
        ctx.now(), { validity: input.validity });
      const serial = randomSerial();
      const der = await buildCertificate({ serial: serial.bytes, issuer: issuer.subjectDer, subject: dn.der, notBefore: plan.notBefore, notAfter: plan.notAfter, spki, extensions: plan.extensions }, issuer.signer, issuer.ca.publicKeySpki);
      const info = describeCertificate(der);
      const at = ctx.now().toISOString();
      ctx.store.transaction(() => {
        insertCertificate(ctx.store.db, { caId: issuer.ca.id, serial: serial.hex, profile: profile.name, subject: info.subject, sans: [], notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256, der, status: 'good', revokedAt: null, revocationReason: null, issuedAt: at });
        ctx.store.db.prepare('INSERT INTO bundle_signers (key_uri, key_algorithm, ca_id, serial, certificate_sha256, created_at) VALUES (?, ?, ?, ?, ?, ?)').run(signer.keyUri, algorithm, issuer.ca.id, serial.hex, info.fingerprintSha256, at);
        ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'bundle.signer-create', inputs: { subject: dn.text, algorithm }, outcome: 'ok', details: { caId: issuer.ca.id, serial: serial.hex, keyUri: signer.keyUri, certificateSha256: info.fingerprintSha256 } }, ctx.now());
      });
      return currentBundleSigner(ctx.store.db)!;
    } finally {
      await signer.close();
    }
  } finally {
    await issuer.signer.close();
  }
}

/** Opens the console's signing key for an export, after checking it matches its certificate and the certificate still stands. */
export async function openBundleSigner(ctx: OperationContext, secret: KeySecret): Promise<SigningIdentity & { summary: BundleSignerSummary }> {
  const row = latestRow(ctx.store.db);
  if (!row) throw new ColdrootError('BUNDLE_SIGNER_MISSING', 'This console has no bundle-signing identity yet', 'Create one with: coldroot bundle signer create --ca CA_ID (--software | --pkcs11-module …)');
  const summary = summarize(row);
  const now = ctx.now();
  if (row.status === 'revoked') throw new ColdrootError('BUNDLE_SIGNER_REVOKED', `The bundle-signing certificate ${row.serial} was revoked at ${row.revokedAt}`, 'Create a new one with: coldroot bundle signer create');
  if (new Date(summary.notAfter) <= now) throw new ColdrootError('BUNDLE_SIGNER_EXPIRED', `The bundle-signing certificate ${row.serial} expired at ${summary.notAfter}`, 'Create a new one with: coldroot bundle signer create');
  const certificate = new Uint8Array(row.der);
  const signer = await openKey(row.keyUri, row.keyAlgorithm, secret, ctx.store.keysDir);
  if (!sameBytes(await signer.publicKey(), describeCertificate(certificate).spki)) {
    await signer.close();
    throw new ColdrootError('KEY_MISMATCH', `The key ${row.keyUri} does not match the bundle-signing certificate`, 'The token or key file holds a different key; restore the right one or create a new signer');
  }
  return { signer, certificate, chain: caChain(ctx.store.db, row.caId), summary };
}
