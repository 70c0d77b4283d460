import type { OperationContext } from '../ca/operation-context.js';
import { issueCertificate } from '../ca/issue-certificate.js';
import { ColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { getAction } from './action-queue.js';
import type { RiskPolicy } from './policy-file.js';

export interface EmergencyIssueInput {
  actionId: number;
  /** Unlocks the emergency issuer's key (the CA named by the policy). */
  caSecret: KeySecret;
  policy: RiskPolicy;
  /** The host's CSR; default: the newest pending renewal request of the action's host. */
  csr?: Uint8Array | string;
  /** Default: the emergency profile's (24 h; at most 7 days). */
  validity?: string;
}

export interface EmergencyIssueResult {
  actionId: number;
  host: string;
  caId: string;
  serial: string;
  notAfter: string;
  certificatePem: string;
  csrSource: string;
}

/**
 * Carries out an approved emergency-certificate action: a short-lived certificate under the
 * 'emergency' profile, from the issuer the policy names (configured and approved by a person),
 * for the host's CSR, while its full renewal stays pending. The certificate is issued (its own
 * transaction and audit entry) before the action is marked done; a crash in between leaves the
 * action approved and the certificate in the inventory, which the audit trail shows.
 */
export async function issueEmergencyCertificate(ctx: OperationContext, input: EmergencyIssueInput): Promise<EmergencyIssueResult> {
  const action = getAction(ctx, input.actionId);
  if (action.action !== 'emergency-certificate') {
    throw new ColdrootError('EMERGENCY_WRONG_ACTION', `Action ${action.id} is a ${action.action}, not an emergency-certificate action`, 'List emergency actions with: coldroot queue list --status approved');
  }
  if (action.status !== 'approved') {
    throw new ColdrootError('EMERGENCY_NOT_APPROVED', `Action ${action.id} is ${action.status}; only an approved emergency-certificate action is carried out`, `Approve it first: coldroot queue approve ${action.id}`);
  }
  const issuer = input.policy.emergencyCertificate.issuer;
  if (!issuer) {
    throw new ColdrootError('EMERGENCY_ISSUER_NOT_CONFIGURED', 'The risk policy names no emergency issuer', 'Set emergencyCertificate.issuer {caId, approvedBy, approvedAt} in the policy file (docs/risk.md) once the use of that CA is approved');
  }
  let csr = input.csr;
  let csrSource = 'given';
  if (csr === undefined) {
    const pending = ctx.store.db.prepare("SELECT request_id AS requestId, csr_der AS csr FROM renewal_requests WHERE host = ? AND status = 'pending' ORDER BY id DESC LIMIT 1").get(action.host) as { requestId: string; csr: Buffer } | undefined;
    if (!pending) {
      throw new ColdrootError('EMERGENCY_CSR_MISSING', `Host ${action.host} has no pending renewal request to take a CSR from`, 'Give the host\'s CSR with --csr FILE, or import its renewal-request bundle first');
    }
    csr = new Uint8Array(pending.csr);
    csrSource = `renewal request ${pending.requestId}`;
  }
  const cert = await issueCertificate(ctx, { caId: issuer.caId, secret: input.caSecret, profile: 'emergency', csr, csrSource: `emergency action ${action.id} (${csrSource})`, validity: input.validity });
  const now = ctx.now();
  ctx.store.transaction(() => {
    ctx.store.db.prepare("UPDATE risk_actions SET status = 'exported', exported_in = ? WHERE id = ? AND status = 'approved'").run(`certificate:${issuer.caId}/${cert.serial}`, action.id);
    ctx.store.audit.append({
      actor: ctx.operator, role: ctx.role ?? null, action: 'risk.action.emergency', outcome: 'ok',
      details: { actionId: action.id, host: action.host, caId: issuer.caId, serial: cert.serial, notAfter: cert.notAfter, csrSource, issuerApprovedBy: issuer.approvedBy, issuerApprovedAt: issuer.approvedAt },
    }, now);
  });
  return { actionId: action.id, host: action.host, caId: issuer.caId, serial: cert.serial, notAfter: cert.notAfter, certificatePem: cert.certificatePem, csrSource };
}
