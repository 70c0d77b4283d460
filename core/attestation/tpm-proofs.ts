import { createHash } from 'node:crypto';
import { reject } from '../bundles/bundle-rejection.js';
import type { CheckedRenewalRequest } from '../bundles/payloads/renewal-request.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { commonNamesOf } from '../x509/name-text.js';
import { decodeEvidence } from './attestation-evidence.js';
import { findAttestationNonce } from './attestation-nonces.js';
import type { ProofContext } from './request-proofs.js';
import { enrolmentByEk, type TpmEnrolmentRecord } from './tpm-enrolments.js';
import { quoteQualifyingData, verifyQuote } from './tpm-quote.js';
import { validateEkCertificate } from './vendor-roots.js';

const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const cn = (subject: string) => commonNamesOf(subject)[0] ?? '';

function trustedEk(p: ProofContext, where: string, ek: Uint8Array): void {
  const r = validateEkCertificate(p.db, ek, p.now);
  if (!r.ok) {
    let who = `sha256 ${sha256(ek).slice(0, 16)}…`;
    try { const i = describeCertificate(ek); who = `${i.subject}, issuer ${i.issuer}`; } catch { /* reported through the path failure */ }
    reject('BUNDLE_TPM_EK_UNTRUSTED', `${where}: the EK certificate (${who}) does not chain to a TPM vendor root of this home: ${r.code}: ${r.message}`,
      "Add the TPM vendor's CA certificates: coldroot tpm add-vendor-root FILE");
  }
}

/** An enrolment block: the EK chains to a vendor root and is not another host's TPM. */
export function checkTpmEnrolment(p: ProofContext, where: string, r: CheckedRenewalRequest): TpmEnrolmentRecord {
  const t = r.tpmEnrolment!;
  trustedEk(p, where, t.ekCertificate);
  const ekSha256 = sha256(t.ekCertificate);
  const other = enrolmentByEk(p.db, ekSha256);
  if (other && other.host !== r.host) {
    reject('BUNDLE_TPM_EK_IN_USE', `${where}: this TPM (EK sha256 ${ekSha256.slice(0, 16)}…) is enrolled for host ${other.host}, not ${r.host}`,
      'One TPM attests for one host; if the device was renamed, enrol it under its old name or revoke the old host first');
  }
  const deviceSubject = r.proofCertificate ? describeCertificate(r.proofCertificate).subject : p.signer.subject;
  return { host: r.host, ekSha256, ekCertificate: t.ekCertificate, akPublic: t.akPublic, akName: t.akName, deviceSubject, enrolledAt: p.now.toISOString(), requestId: r.requestId };
}

/**
 * A 'tpm-attestation' proof: the evidence decodes, its EK chains to a vendor root and is the TPM
 * enrolled for this host, the quote is signed by the enrolled attestation key over
 * SHA-256(nonce || SHA-256(CSR)), and the nonce was issued by this console for this host, is
 * unexpired and unused. Returns the nonce (hex) to spend.
 */
export function checkTpmAttestation(p: ProofContext, where: string, r: CheckedRenewalRequest): { nonce: string } {
  const decoded = decodeEvidence(r.proofAttestation!);
  if (!decoded.ok) reject('BUNDLE_TPM_ATTESTATION_INVALID', `${where}: ${decoded.message}`, 'Build the proof with the Coldroot agent (tpmQuote)');
  const e = decoded.value;
  trustedEk(p, where, e.ekCertificate);
  const ekSha256 = sha256(e.ekCertificate);
  const enrolled = enrolmentByEk(p.db, ekSha256);
  if (!enrolled) {
    reject('BUNDLE_TPM_EK_UNKNOWN', `${where}: the TPM (EK sha256 ${ekSha256.slice(0, 16)}…) chains to a vendor root but was never enrolled by a host of this home`,
      'A TPM is enrolled by a renewal request with a tpm block while the device certificate is valid; re-enrol this device with a new agent package');
  }
  if (enrolled.host !== r.host) {
    reject('BUNDLE_TPM_WRONG_HOST', `${where}: the TPM (EK sha256 ${ekSha256.slice(0, 16)}…) is enrolled for host ${enrolled.host}, but the request is for ${r.host}`, 'A TPM recovers only the host that enrolled it');
  }
  const device = cn(enrolled.deviceSubject);
  if (cn(p.signer.subject) !== device || cn(r.subject) !== device) {
    reject('BUNDLE_TPM_WRONG_HOST', `${where}: the TPM of ${r.host} was enrolled by CN '${device}', but the bundle is signed by CN '${cn(p.signer.subject)}' and the CSR asks for CN '${cn(r.subject)}'`,
      'A TPM recovers only the identity that enrolled it');
  }
  const q = verifyQuote(e.quote, e.signature, enrolled.akPublic, quoteQualifyingData(e.nonce, r.csrDer));
  if (!q.ok) {
    if (q.reason === 'extra-data') reject('BUNDLE_TPM_QUOTE_MISMATCH', `${where}: ${q.message}`, 'Quote again over the nonce of the last renewal bundle and this CSR');
    reject('BUNDLE_TPM_QUOTE_INVALID', `${where}: ${q.message}`, 'The quote was not made by the TPM enrolled for this host; treat the request as an attack');
  }
  const nonce = Buffer.from(e.nonce).toString('hex');
  const stored = findAttestationNonce(p.db, nonce);
  if (!stored || stored.host !== r.host) {
    reject('BUNDLE_TPM_NONCE_UNKNOWN', `${where}: nonce ${nonce.slice(0, 16)}… was not issued by this console for host ${r.host}${stored ? ` (it was issued for ${stored.host})` : ''}`,
      'The agent quotes over the attestationNonce of its last renewal bundle; answer one of its renewals first');
  }
  if (stored.usedAt) {
    reject('BUNDLE_TPM_NONCE_REPLAYED', `${where}: nonce ${nonce.slice(0, 16)}… was already used at ${stored.usedAt} (request ${stored.usedByRequest})`, 'Each nonce proves one recovery; a second use is a replay');
  }
  if (p.now >= new Date(stored.expiresAt)) {
    reject('BUNDLE_TPM_NONCE_EXPIRED', `${where}: nonce ${nonce.slice(0, 16)}… expired at ${stored.expiresAt} (issued ${stored.issuedAt}; console time ${p.now.toISOString()})`,
      'Issue a fresh nonce to the host (coldroot tpm issue-nonce --host HOST) and carry it over with its next renewal');
  }
  return { nonce };
}
