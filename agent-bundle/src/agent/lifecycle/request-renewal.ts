import { createHash, generateKeyPairSync, randomUUID } from 'node:crypto';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { writeBundle } from '../../../../core/bundles/bundle-writer.js';
import { renewalRequestFile, type RenewalRequestInput } from '../../../../core/bundles/payloads/renewal-request-builder.js';
import { RENEWAL_REQUEST_FILE, RENEWAL_REQUEST_SCHEMA_V1, type TpmEnrolment } from '../../../../core/bundles/payloads/renewal-request.js';
import { ColdrootError } from '../../../../core/errors.js';
import { SoftwareSigner } from '../../../../core/keys/software-signer.js';
import { buildCsr } from '../../../../core/x509/csr-builder.js';
import { writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import { nextBundleSequence } from '../state/bundle-sequence.js';
import type { StateLayout } from '../state/state-layout.js';
import { tpmEnrolment } from '../tpm/tpm-enrolment.js';
import { tpmQuote } from '../tpm/tpm-quote.js';
import { signerOf, validAt, type AgentCredential } from './agent-credentials.js';

export type RequestReason = RenewalRequestInput['reason'];
export type ProofKind = RenewalRequestInput['proof']['kind'];

/** pending/<requestId>/request.json: what the rotation matches an answer against. */
export interface PendingRequest {
  requestId: string;
  host: string;
  createdAt: string;
  reason: RequestReason;
  csrSha256: string;
  proofKind: ProofKind;
  /** The signed renewal-request bundle (kept so a send that failed can be repeated as it is). */
  bundleFile: string;
  bundleId: string;
  /** The TPM could not be enrolled with this request (the request went without it). */
  tpmEnrolmentError?: string;
}

export interface RequestRenewalInput {
  layout: StateLayout;
  host: string;
  profile: string;
  now: Date;
  /** The active management credential, if any. */
  management: AgentCredential | null;
  bootstrap: AgentCredential | null;
  /** Why, when the management certificate is still valid (default 'expiring'). */
  reason?: Exclude<RequestReason, 'bootstrap'>;
  /**
   * config.tpm when enabled: requests proven by a certificate also enrol the TPM (EK certificate
   * and attestation key), and with both certificates unusable the request is proven by a quote
   * over the console's last attestation nonce and the CSR, in a bundle signed by the expired
   * management certificate (the console admits that for TPM recovery only).
   */
  tpm?: { tcti: string; attestationNonce: string | null } | null;
  fs?: DurableFs;
}

/**
 * Makes one renewal request: a fresh P-256 key (kept only in pending/<id>/key.pem, 0600), a CSR
 * for CN=<host>, and a renewal-request bundle signed by the management certificate while it is
 * valid, else by the bootstrap certificate (reason 'bootstrap'). Nothing is sent here: the
 * caller hands `bundleFile` to the transport, so a transport failure leaves a request to resend.
 */
export async function createRenewalRequest(input: RequestRenewalInput): Promise<PendingRequest> {
  const { layout, now } = input;
  let identity: AgentCredential;
  let proofKind: ProofKind;
  let reason: RequestReason;
  if (input.management && validAt(input.management, now)) {
    identity = input.management;
    proofKind = 'current-certificate';
    reason = input.reason ?? 'expiring';
  } else if (input.bootstrap && validAt(input.bootstrap, now)) {
    identity = input.bootstrap;
    proofKind = 'bootstrap-certificate';
    reason = 'bootstrap';
  } else if (input.tpm && input.management && input.tpm.attestationNonce) {
    identity = input.management;
    proofKind = 'tpm-attestation';
    reason = 'expiring';
  } else {
    const what = input.bootstrap ? `the bootstrap certificate is outside its validity (${input.bootstrap.notBefore.toISOString()} – ${input.bootstrap.notAfter.toISOString()})` : `there is no bootstrap credential at ${layout.bootstrapCert}`;
    throw new ColdrootError('AGENT_NO_CREDENTIAL', `Cannot authenticate a renewal request: the management certificate is ${input.management ? 'expired or not yet valid' : 'missing'} and ${what}`,
      input.tpm
        ? (input.management ? 'TPM recovery needs the attestation nonce of a renewal bundle, and none has arrived yet: install a new agent package' : 'TPM recovery needs the expired management certificate to sign the request, and there is none: install a new agent package')
        : 'Install a new agent package (it carries a fresh bootstrap credential), or enable TPM attestation (tpm.enabled) where the device has a TPM', 'failure');
  }

  const requestId = `${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomUUID().slice(0, 8)}`;
  const dir = layout.pending(requestId);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  try {
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const newKey = new SoftwareSigner(privateKey, 'ecdsa-p256', `file:${join(dir, 'key.pem')}`);
    await writeFileAtomic(join(dir, 'key.pem'), privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, { mode: 0o600, fs: input.fs });
    const csr = await buildCsr(newKey, `CN=${input.host}`);
    const signer = signerOf(identity);
    let tpm: TpmEnrolment | undefined;
    let tpmEnrolmentError: string | undefined;
    if (input.tpm && proofKind !== 'tpm-attestation') {
      try {
        tpm = await tpmEnrolment(input.tpm.tcti);
      } catch (e) {
        tpmEnrolmentError = (e as Error).message; // renewal matters more than the TPM enrolment: go without it
      }
    }
    const proof: RenewalRequestInput['proof'] = proofKind === 'current-certificate'
      ? { kind: 'current-certificate', certificate: identity.certificate, key: signer }
      : proofKind === 'bootstrap-certificate'
        ? { kind: 'bootstrap-certificate', certificate: identity.certificate, key: signer }
        : await tpmQuote(input.tpm!.tcti, { nonceHex: input.tpm!.attestationNonce!, csrDer: csr });
    const payload = await renewalRequestFile([{ requestId, host: input.host, profile: input.profile, reason, csr, proof, ...(tpm ? { tpm } : {}) }]);
    const sequence = await nextBundleSequence(layout, identity.fingerprintSha256, input.fs);
    const bundleFile = join(dir, `renewal-request-${input.host}-${requestId}.tar`);
    const data = new TextEncoder().encode(`${JSON.stringify(payload, null, 2)}\n`);
    const written = await writeBundle(bundleFile, {
      type: 'renewal-request', identity: { signer, certificate: identity.certificate, chain: identity.chain }, sequence, createdAt: now,
      files: [{ name: RENEWAL_REQUEST_FILE, data, schema: RENEWAL_REQUEST_SCHEMA_V1, records: 1 }],
    });
    const pending: PendingRequest = {
      requestId, host: input.host, createdAt: now.toISOString(), reason, csrSha256: createHash('sha256').update(csr).digest('hex'), proofKind,
      bundleFile, bundleId: written.bundleId, ...(tpmEnrolmentError ? { tpmEnrolmentError } : {}),
    };
    // request.json last: its presence marks a complete request.
    await writeFileAtomic(join(dir, 'request.json'), `${JSON.stringify(pending, null, 2)}\n`, { fs: input.fs });
    return pending;
  } catch (e) {
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
    throw e;
  }
}

export async function readPendingRequest(layout: StateLayout, requestId: string): Promise<PendingRequest | null> {
  try {
    return JSON.parse(await readFile(join(layout.pending(requestId), 'request.json'), 'utf8')) as PendingRequest;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}
