import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import { reject } from '../bundles/bundle-rejection.js';
import type { CheckedRenewalRequest } from '../bundles/payloads/renewal-request.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { commonNamesOf } from '../x509/name-text.js';
import { consumeAttestationNonce } from './attestation-nonces.js';
import { checkTpmAttestation, checkTpmEnrolment } from './tpm-proofs.js';
import { saveEnrolment, type TpmEnrolmentRecord } from './tpm-enrolments.js';

/** The bundle a request came in: who signed it, and whether it was admitted with an expired signer for a TPM recovery. */
export interface ProofContext {
  db: Database.Database;
  now: Date;
  signer: { certificate: Uint8Array; sha256: string; subject: string };
  /** The signer's certificate has expired; producer-admission let the bundle in only for TPM recovery. */
  recovery: boolean;
}

export interface ProofEffects {
  enrolments: TpmEnrolmentRecord[];
  nonces: Array<{ nonce: string; host: string; requestId: string }>;
}

interface InventoryRow { caId: string; serial: string; profile: string; subject: string; status: string; notBefore: string; notAfter: string; revokedAt: string | null; reason: string | null }

function inventoryRow(db: Database.Database, der: Uint8Array): InventoryRow | undefined {
  return db.prepare(`SELECT ca_id AS caId, serial, profile, subject, status, not_before AS notBefore, not_after AS notAfter, revoked_at AS revokedAt, revocation_reason AS reason
    FROM certificates WHERE fingerprint_sha256 = ?`).get(createHash('sha256').update(der).digest('hex')) as InventoryRow | undefined;
}

const cn = (subject: string) => commonNamesOf(subject)[0] ?? '';

/** A certificate proof must name a certificate this home issued, that stands (not revoked) and is valid now. */
function standingCertificate(p: ProofContext, where: string, kind: string, der: Uint8Array): InventoryRow {
  const info = describeCertificate(der);
  const row = inventoryRow(p.db, der);
  const what = `the ${kind} (${info.subject}, serial ${info.serial})`;
  if (!row) reject('BUNDLE_PROOF_UNKNOWN', `${where}: ${what} is not in this home's inventory`, 'Only certificates issued by this console prove a renewal; re-enrol the host with a bootstrap certificate from its agent package');
  if (row.status === 'revoked') {
    reject('BUNDLE_PROOF_REVOKED', `${where}: ${what} of CA '${row.caId}' was revoked at ${row.revokedAt} (reason ${row.reason})`, 'A revoked certificate cannot renew itself; re-enrol the host (new agent package) if it is trusted again');
  }
  if (p.now < new Date(row.notBefore) || p.now > new Date(row.notAfter)) {
    const when = p.now > new Date(row.notAfter) ? `expired at ${row.notAfter}` : `is not valid before ${row.notBefore}`;
    reject('BUNDLE_PROOF_EXPIRED', `${where}: ${what} ${when} (console time ${p.now.toISOString()})`, 'An expired management certificate is replaced through its bootstrap certificate or TPM attestation (docs/tpm-attestation.md)');
  }
  return row;
}

function checkCurrent(p: ProofContext, where: string, r: CheckedRenewalRequest): void {
  const cert = r.proofCertificate!;
  standingCertificate(p, where, 'current certificate', cert);
  // The proof signature (required for this kind) shows the requester holds the current key, so a
  // collector may relay requests of other hosts; what it may not do is change the name renewed.
  const subject = describeCertificate(cert).subject;
  if (cn(r.subject) !== cn(subject)) {
    reject('BUNDLE_PROOF_MISMATCH', `${where}: the CSR asks for CN '${cn(r.subject)}', but the current certificate (${subject}) is for CN '${cn(subject)}'`,
      'A renewal keeps the name of the certificate it renews; ask for a new name with a bootstrap or operator-issued certificate');
  }
}

function checkBootstrap(p: ProofContext, where: string, r: CheckedRenewalRequest): void {
  const cert = r.proofCertificate!;
  const info = describeCertificate(cert);
  const row = standingCertificate(p, where, 'bootstrap certificate', cert);
  if (row.profile !== 'device-bootstrap') {
    reject('BUNDLE_PROOF_NOT_BOOTSTRAP', `${where}: the bootstrap certificate (${info.subject}, serial ${info.serial}) was issued under profile '${row.profile}', not 'device-bootstrap'`,
      "Prove a renewal with the certificate being renewed (kind 'current-certificate'); bootstrap proofs take a certificate from an agent package");
  }
  if (cn(r.subject) !== cn(info.subject)) {
    reject('BUNDLE_PROOF_MISMATCH', `${where}: the CSR asks for CN '${cn(r.subject)}', but the bootstrap certificate is for CN '${cn(info.subject)}'`, 'A bootstrap certificate obtains a certificate for its own device name only');
  }
  if (!r.proofSignature && !Buffer.from(cert).equals(Buffer.from(p.signer.certificate))) {
    reject('BUNDLE_PROOF_UNSIGNED', `${where}: the bootstrap proof has no signature over the CSR and the bundle is not signed with the bootstrap certificate, so nothing shows the requester holds its key`,
      'Sign the CSR with the bootstrap key (proof.signature) or sign the bundle with the bootstrap certificate');
  }
}

/**
 * Checks every request's proof against this home's inventory, TPM enrolments and nonces, reading
 * only (bundle inspection can run it too), and says what an import would record. Throws the
 * BundleRejection of the first request that fails.
 */
export function checkRequestProofs(p: ProofContext, requests: CheckedRenewalRequest[]): ProofEffects {
  const effects: ProofEffects = { enrolments: [], nonces: [] };
  if (p.recovery) {
    const other = requests.find((r) => r.proof.kind !== 'tpm-attestation');
    if (other) {
      reject('BUNDLE_SIGNER_UNTRUSTED', `The producer certificate (${p.signer.subject}) has expired; an expired producer is accepted only for TPM recovery, but request ${other.requestId} proves itself with a ${other.proof.kind}`,
        'Renew before the certificate expires, or recover with the bootstrap certificate (sign the bundle with it) or TPM attestation');
    }
  }
  const seenNonces = new Set<string>();
  const seenEks = new Map<string, string>();
  requests.forEach((r, i) => {
    const where = `renewal-request.json requests.${i} (${r.requestId})`;
    if (r.proof.kind === 'current-certificate') checkCurrent(p, where, r);
    else if (r.proof.kind === 'bootstrap-certificate') checkBootstrap(p, where, r);
    else {
      const a = checkTpmAttestation(p, where, r);
      if (seenNonces.has(a.nonce)) reject('BUNDLE_TPM_NONCE_REPLAYED', `${where}: nonce ${a.nonce.slice(0, 16)}… is used twice in this bundle`);
      seenNonces.add(a.nonce);
      effects.nonces.push({ nonce: a.nonce, host: r.host, requestId: r.requestId });
    }
    if (r.tpmEnrolment) {
      if (r.proof.kind === 'tpm-attestation') reject('BUNDLE_TPM_ENROLMENT_INVALID', `${where}: a TPM is enrolled by a request proven with a valid certificate, not by an attestation`);
      const e = checkTpmEnrolment(p, where, r);
      const twice = seenEks.get(e.ekSha256);
      if (twice && twice !== r.host) reject('BUNDLE_TPM_EK_IN_USE', `${where}: the EK certificate is enrolled for both ${twice} and ${r.host} in this bundle`);
      seenEks.set(e.ekSha256, r.host);
      effects.enrolments = effects.enrolments.filter((x) => x.host !== e.host).concat(e);
    }
  });
  return effects;
}

/**
 * checkRequestProofs, then — only when every request passed — records the enrolments and spends
 * the nonces on the caller's connection (the import transaction). The first failing request
 * rejects the whole bundle: nothing of it is stored, as for any other bundle check.
 */
export function applyRequestProofs(p: ProofContext, requests: CheckedRenewalRequest[], bundleRowId: number): ProofEffects {
  const effects = checkRequestProofs(p, requests);
  for (const e of effects.enrolments) saveEnrolment(p.db, e, bundleRowId);
  for (const n of effects.nonces) {
    if (!consumeAttestationNonce(p.db, n.nonce, { at: p.now, bundleRowId, requestId: n.requestId })) {
      reject('BUNDLE_TPM_NONCE_REPLAYED', `request ${n.requestId}: nonce ${n.nonce.slice(0, 16)}… was spent while this bundle was checked`);
    }
  }
  return effects;
}
