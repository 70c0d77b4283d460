import { createHash } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { newAttestationNonce, storeAttestationNonce, type AttestationNonce } from '../attestation/attestation-nonces.js';
import { hasEnrolledTpm } from '../attestation/tpm-enrolments.js';
import { issueBatch } from '../ca/issue-batch.js';
import { openIssuingCa } from '../ca/issuing-ca.js';
import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError, isColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { getCa } from '../store/ca-repository.js';
import { toPem } from '../x509/asn1.js';
import { signAndVerify, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { encodeOcspResponse, ResponseDataTemplate } from '../x509/ocsp-response.js';
import { describePublicKey } from '../x509/public-key.js';
import { FORMAT_VERSION, sha256Hex } from './bundle-format.js';
import { forcedRenewalKeyReuse } from './forced-renewal-keys.js';
import { BundleRepository } from './bundle-repository.js';
import { writeBundle, type BundleFileSource } from './bundle-writer.js';
import { openBundleSigner } from './console-signer.js';
import { CHAIN_FILE, RENEWAL_FILE, RENEWAL_SCHEMA_V1, ROLLOUT_FILE, ROLLOUT_SCHEMA_V1, RolloutPlanSchema, AgentInstructionSchema, type AgentInstruction, type RenewalIndex, type RolloutPlan } from './payloads/renewal.js';

export interface RenewalExportInput {
  out: string;
  /** The CA that signs the renewed certificates (and their OCSP responses). */
  caId: string;
  caSecret: KeySecret;
  /** Unlocks the console's bundle-signing key. */
  signerSecret: KeySecret;
  /** Answer only these hosts' pending requests. */
  hosts?: string[];
  /** Answer the pending requests of this request bundle (its bundle id). */
  requestBundle?: string;
  /** Issue under this profile instead of the one each request names. */
  profile?: string;
  validity?: string;
  ocspValidityHours?: number;
  rollout?: RolloutPlan;
  /** Per-host instructions for the agents (investigation mode, attestation nonces). */
  instructions?: AgentInstruction[];
  /** Approved risk actions (core/policy renewalPlan) this bundle carries: those of answered hosts are marked exported in the bundle's transaction. */
  actions?: Array<{ id: number; host: string }>;
  /** Signing progress over all the requests answered (certificates and OCSP responses). */
  onProgress?: (done: number, total: number) => void;
}

export interface RenewalExportResult {
  path: string;
  bundleId: string;
  inReplyTo: string;
  sequence: number;
  issued: Array<{ requestId: string; host: string; serial: string; notAfter: string }>;
  rejected: Array<{ requestId: string; host: string; code: string; message: string }>;
  crls: string[];
  warnings: string[];
  sha256: string;
  size: number;
  /** Risk actions marked exported by this bundle. */
  actions: number[];
}

interface PendingRow { id: number; requestId: string; host: string; profile: string; csr: Buffer; bundleId: string; proofCertificate: Buffer | null }

function pendingRequests(ctx: OperationContext, input: RenewalExportInput): PendingRow[] {
  const rows = ctx.store.db.prepare(`SELECT r.id, r.request_id AS requestId, r.host, r.profile, r.csr_der AS csr, b.bundle_id AS bundleId, r.proof_certificate AS proofCertificate
    FROM renewal_requests r JOIN bundles b ON b.id = r.bundle_id WHERE r.status = 'pending' AND (@bundle IS NULL OR b.bundle_id = @bundle) ORDER BY r.id`).all({ bundle: input.requestBundle ?? null }) as PendingRow[];
  const hosts = input.hosts?.length ? new Set(input.hosts) : null;
  const selected = hosts ? rows.filter((r) => hosts.has(r.host)) : rows;
  const what = [input.requestBundle && `request bundle ${input.requestBundle}`, hosts && `hosts ${[...hosts].join(', ')}`].filter(Boolean).join(' and ');
  if (!selected.length) throw new ColdrootError('NO_PENDING_RENEWALS', `No pending renewal requests${what ? ` for ${what}` : ''}`, 'Import the hosts\' renewal-request bundles first: coldroot bundle import FILE; list them with: coldroot bundle requests');
  const bundles = [...new Set(selected.map((r) => r.bundleId))];
  if (bundles.length > 1) {
    throw new ColdrootError('RENEWAL_REQUESTS_SPAN_BUNDLES', `The pending requests come from ${bundles.length} request bundles (${bundles.join(', ')}); a renewal bundle answers one`, 'Pass --request-bundle BUNDLE_ID (once per bundle)');
  }
  return selected;
}

/** The newest CRL of each CA from `caId` up to its root that is still current, as bundle files. */
function currentCrls(ctx: OperationContext, caId: string, now: Date, warnings: string[]): BundleFileSource[] {
  const files: BundleFileSource[] = [];
  for (let ca = getCa(ctx.store.db, caId); ; ca = getCa(ctx.store.db, ca.parentId!)) {
    const crl = ctx.store.db.prepare('SELECT crl_number AS n, next_update AS nextUpdate, der FROM crls WHERE ca_id = ? ORDER BY crl_number DESC LIMIT 1').get(ca.id) as { n: number; nextUpdate: string; der: Buffer } | undefined;
    if (!crl) warnings.push(`CA '${ca.id}' has published no CRL; publish one (coldroot crl --ca ${ca.id}) so hosts can check revocation`);
    else if (new Date(crl.nextUpdate) <= now) warnings.push(`The newest CRL of CA '${ca.id}' (#${crl.n}) expired at ${crl.nextUpdate}; publish a new one`);
    else files.push({ name: `crls/${ca.id}.crl`, data: new Uint8Array(crl.der) });
    if (!ca.parentId) return files;
  }
}

/** Signs a 'good' OCSP response, by the issuing CA itself, for each certificate just issued. */
async function ocspResponses(ctx: OperationContext, input: RenewalExportInput, serials: string[]): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  if (!serials.length) return out;
  const hours = input.ocspValidityHours ?? 168;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 31) throw new ColdrootError('BAD_NEXT_UPDATE', `OCSP validity of ${hours} hours is out of range`, 'Give a whole number of hours between 1 and 744');
  const issuer = await openIssuingCa(ctx, input.caId, input.caSecret);
  try {
    const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
    const template = new ResponseDataTemplate({ nameDer: issuer.subjectDer, keyHash: describePublicKey(issuer.ca.publicKeySpki).keyIdentifier }, thisUpdate, new Date(thisUpdate.getTime() + hours * 3_600_000));
    const alg = signatureAlgorithmDer(issuer.signer);
    for (const serial of serials) {
      const tbs = template.render(serial, { status: 'good' });
      out.set(serial, encodeOcspResponse(tbs, alg, await signAndVerify(tbs, issuer.signer, issuer.ca.publicKeySpki)));
    }
  } finally {
    await issuer.signer.close();
  }
  return out;
}

/**
 * Every answered host with an enrolled TPM gets a fresh single-use nonce in its instruction (unless
 * the caller set one), for the quote of a later expired-certificate recovery. The nonces are
 * stored with the bundle's record, in the same transaction.
 */
function withAttestationNonces(ctx: OperationContext, given: AgentInstruction[], pending: PendingRow[]): { instructions: AgentInstruction[]; nonces: AttestationNonce[] } {
  const instructions = given.map((i) => ({ ...i }));
  const nonces: AttestationNonce[] = [];
  for (const host of new Set(pending.map((r) => r.host))) {
    if (!hasEnrolledTpm(ctx.store.db, host)) continue;
    let entry = instructions.find((i) => i.host === host);
    if (entry?.attestationNonce) continue;
    const n = newAttestationNonce(host, ctx.now());
    nonces.push(n);
    if (!entry) instructions.push((entry = { host }));
    entry.attestationNonce = n.nonce;
  }
  return { instructions, nonces };
}

/**
 * Answers pending renewal requests with a signed renewal bundle: the CSRs are issued through the
 * batch issuance path (grouped by profile), each certificate gets an OCSP response, the chain and
 * the current CRLs go along, and the manifest (in reply to the request bundle) is signed with the
 * console's bundle-signing key. Requests the profile refuses are answered as rejected.
 */
export async function exportRenewal(ctx: OperationContext, input: RenewalExportInput): Promise<RenewalExportResult> {
  // Checked before anything is issued: certificates must never be signed for a bundle that cannot be written.
  if (existsSync(input.out)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${input.out} already exists`, 'Choose a new file name; Coldroot never overwrites its outputs');
  const plan = input.rollout === undefined ? null : RolloutPlanSchema.safeParse(input.rollout);
  if (plan && !plan.success) {
    const issue = plan.error.issues[0];
    throw new ColdrootError('ROLLOUT_INVALID', `Rollout plan: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, 'Fix the plan (coldroot.rollout.v1, see docs/bundles.md)');
  }
  const rollout = plan?.data;
  const instructions = z.array(AgentInstructionSchema).max(100_000).safeParse(input.instructions ?? []);
  if (!instructions.success) {
    const issue = instructions.error.issues[0];
    throw new ColdrootError('RENEWAL_INSTRUCTIONS_INVALID', `Agent instructions: ${issue.path.join('.') || '(top level)'}: ${issue.message}`, 'Fix the instructions (see AgentInstruction in docs/bundles.md)');
  }
  const pending = pendingRequests(ctx, input);
  const inReplyTo = pending[0].bundleId;
  const identity = await openBundleSigner(ctx, input.signerSecret);
  const warnings: string[] = [];
  try {
    const issued: Array<{ row: PendingRow; serial: string; notAfter: string; pem: string }> = [];
    const rejected: RenewalExportResult['rejected'] = [];
    const refused: Array<{ row: PendingRow; code: string; message: string }> = [];
    // A request proven by a certificate revoked since its import (a compromised key may have made it) is answered as rejected.
    const proofStatus = ctx.store.db.prepare('SELECT status, revocation_reason AS reason, revoked_at AS revokedAt FROM certificates WHERE fingerprint_sha256 = ?');
    // Like a revoked proof, a forced renewal asked with an old key is answered as rejected (the agent learns why) while the other hosts are served.
    const keyReuse = forcedRenewalKeyReuse(ctx.store.db, pending);
    const answerable = pending.filter((r) => {
      const p = r.proofCertificate ? proofStatus.get(createHash('sha256').update(r.proofCertificate).digest('hex')) as { status: string; reason: string | null; revokedAt: string | null } | undefined : undefined;
      if (p?.status !== 'revoked') return true;
      refused.push({ row: r, code: 'PROOF_REVOKED', message: `The certificate that proved this request was revoked at ${p.revokedAt} (reason ${p.reason}) after the request was imported` });
      return false;
    }).filter((r) => {
      const reuse = keyReuse.get(r);
      if (!reuse) return true;
      refused.push({ row: r, code: reuse.code, message: reuse.message });
      return false;
    });
    const groups = new Map<string, PendingRow[]>();
    for (const r of answerable) groups.set(input.profile ?? r.profile, [...(groups.get(input.profile ?? r.profile) ?? []), r]);
    for (const [profile, rows] of groups) {
      try {
        const base = answerable.indexOf(rows[0]);
        const result = await issueBatch(ctx, {
          caId: input.caId, secret: input.caSecret, profile, validity: input.validity, csrs: rows.map((r) => ({ csr: new Uint8Array(r.csr), source: String(r.id) })),
          onProgress: input.onProgress ? (done) => input.onProgress!(Math.min(base + done, answerable.length), answerable.length) : undefined,
        });
        const refusedIds = new Map(result.rejected.map((x) => [x.source, x]));
        let k = 0;
        for (const r of rows) {
          const why = refusedIds.get(String(r.id));
          if (why) refused.push({ row: r, code: why.code, message: why.message });
          else {
            const c = result.issued[k++];
            issued.push({ row: r, serial: c.serial, notAfter: c.notAfter, pem: c.certificatePem });
          }
        }
      } catch (e) {
        // A profile unknown or unfit for leaves refuses its whole group; anything else stops the export.
        if (!isColdrootError(e) || !['UNKNOWN_PROFILE', 'PROFILE_NOT_FOR_LEAF'].includes(e.code)) throw e;
        for (const r of rows) refused.push({ row: r, code: e.code, message: e.message });
      }
    }
    for (const x of refused) rejected.push({ requestId: x.row.requestId, host: x.row.host, code: x.code, message: x.message.slice(0, 1000) });
    const ocsp = await ocspResponses(ctx, input, issued.map((i) => i.serial));
    const crls = currentCrls(ctx, input.caId, ctx.now(), warnings);
    const { instructions: agentInstructions, nonces } = withAttestationNonces(ctx, instructions.data, pending);
    const chain = [getCa(ctx.store.db, input.caId)];
    while (chain[chain.length - 1].parentId) chain.push(getCa(ctx.store.db, chain[chain.length - 1].parentId!));
    const index: RenewalIndex = {
      chain: CHAIN_FILE,
      crls: crls.map((c) => c.name),
      issued: issued.map((i) => ({ requestId: i.row.requestId, host: i.row.host, serial: i.serial, notAfter: i.notAfter, certificate: `certs/${i.row.requestId}.pem`, ocsp: `ocsp/${i.serial}.der` })),
      rejected,
      ...(rollout ? { rollout: ROLLOUT_FILE } : {}),
      ...(agentInstructions.length ? { instructions: agentInstructions } : {}),
    };
    const text = (v: unknown) => new TextEncoder().encode(`${JSON.stringify(v, null, 2)}\n`);
    const files: BundleFileSource[] = [
      { name: RENEWAL_FILE, data: text(index), schema: RENEWAL_SCHEMA_V1, records: issued.length + rejected.length },
      { name: CHAIN_FILE, data: new TextEncoder().encode(chain.map((c) => toPem(c.certificateDer!, 'CERTIFICATE')).join('')) },
      ...issued.map((i) => ({ name: `certs/${i.row.requestId}.pem`, data: new TextEncoder().encode(i.pem) })),
      ...issued.map((i) => ({ name: `ocsp/${i.serial}.der`, data: ocsp.get(i.serial)! })),
      ...crls,
      ...(rollout ? [{ name: ROLLOUT_FILE, data: text(rollout), schema: ROLLOUT_SCHEMA_V1 }] : []),
    ];
    const repo = new BundleRepository(ctx.store.db);
    const actionsExported: number[] = [];
    const sequence = repo.nextSequence(identity.summary.certificateSha256);
    const now = ctx.now();
    const written = await writeBundle(input.out, { type: 'renewal', identity, sequence, createdAt: now, inReplyTo, files });
    try {
      ctx.store.transaction(() => {
        const rowId = repo.insert({
          bundleId: written.bundleId, direction: 'export', type: 'renewal', formatVersion: FORMAT_VERSION, producerSha256: identity.summary.certificateSha256,
          producerSubject: identity.summary.subject, producerCaId: identity.summary.caId, producerSerial: identity.summary.serial, sequence, createdAt: written.manifest.createdAt,
          inReplyTo, manifest: written.manifestBytes, manifestSha256: sha256Hex(written.manifestBytes), signature: written.signature, processedAt: now.toISOString(), operator: ctx.operator,
        });
        repo.finish(rowId, written.sha256, written.size, issued.length + rejected.length);
        const answer = ctx.store.db.prepare("UPDATE renewal_requests SET status = ?, answered_in = ?, issued_ca_id = ?, issued_serial = ?, rejection_code = ? WHERE id = ? AND status = 'pending'");
        for (const i of issued) answer.run('issued', written.bundleId, input.caId, i.serial, null, i.row.id);
        for (const x of refused) answer.run('rejected', written.bundleId, null, null, x.code, x.row.id);
        const answered = new Set(pending.map((r) => r.host));
        const markAction = ctx.store.db.prepare("UPDATE risk_actions SET status = 'exported', exported_in = ? WHERE id = ? AND status = 'approved'");
        const stillOpen = new Set([...keyReuse.values()].map((x) => x.actionId));
        for (const a of input.actions ?? []) if (answered.has(a.host) && !stillOpen.has(a.id) && markAction.run(written.bundleId, a.id).changes) actionsExported.push(a.id);
        for (const n of nonces) storeAttestationNonce(ctx.store.db, n);
        ctx.store.audit.append({
          actor: ctx.operator, role: ctx.role ?? null, action: 'bundle.export', inputs: { bundle: written.sha256 }, outcome: 'ok',
          details: { bundleId: written.bundleId, type: 'renewal', inReplyTo, sequence, issued: issued.length, rejected: rejected.length, caId: input.caId, fileSha256: written.sha256,
            ...(nonces.length ? { attestationNonces: nonces.map((n) => ({ host: n.host, nonce: n.nonce, expiresAt: n.expiresAt })) } : {}),
            ...(actionsExported.length ? { riskActions: actionsExported } : {}) },
        }, now);
      });
    } catch (e) {
      rmSync(input.out, { force: true });
      throw e;
    }
    const answeredHosts = new Set(pending.map((r) => r.host));
    for (const a of input.actions ?? []) {
      if (!answeredHosts.has(a.host)) warnings.push(`approved action ${a.id} for ${a.host} stays approved: that host has no pending request in this bundle (its agent must ask first)`);
    }
    for (const x of keyReuse.values()) warnings.push(`approved forced renewal ${x.actionId} stays approved: ${x.message}`);
    return {
      path: input.out, bundleId: written.bundleId, inReplyTo, sequence,
      issued: issued.map((i) => ({ requestId: i.row.requestId, host: i.row.host, serial: i.serial, notAfter: i.notAfter })),
      rejected, crls: crls.map((c) => c.name), warnings, sha256: written.sha256, size: written.size, actions: actionsExported,
    };
  } finally {
    await identity.signer.close();
  }
}

