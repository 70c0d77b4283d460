import { ColdrootError } from '../errors.js';
import { getCa } from '../store/ca-repository.js';
import { getCertificate, markRevoked, type RevocationReason } from '../store/certificate-repository.js';
import type { OperationContext } from './operation-context.js';
import { normalizeSerial } from './serial-number.js';

/** RFC 5280 §5.3.1 reason codes (value 7 is unused). */
export const REVOCATION_REASONS: Record<RevocationReason, number> = {
  unspecified: 0, keyCompromise: 1, cACompromise: 2, affiliationChanged: 3, superseded: 4, cessationOfOperation: 5,
  certificateHold: 6, privilegeWithdrawn: 9, aACompromise: 10,
};

export function parseRevocationReason(value: string): RevocationReason {
  if (value in REVOCATION_REASONS) return value as RevocationReason;
  throw new ColdrootError('UNKNOWN_REVOCATION_REASON', `Unknown revocation reason '${value}'`, `Use one of: ${Object.keys(REVOCATION_REASONS).join(', ')}`);
}

export interface RevokeInput {
  caId: string;
  serial: string;
  reason: string;
}

export interface RevokeResult {
  caId: string;
  serial: string;
  reason: RevocationReason;
  revokedAt: string;
}

/** Marks a certificate revoked (it appears on the next CRL and OCSP responses); no key is needed. */
export function revokeCertificate(ctx: OperationContext, input: RevokeInput): RevokeResult {
  const reason = parseRevocationReason(input.reason);
  const serial = normalizeSerial(input.serial);
  if (!serial) throw new ColdrootError('BAD_SERIAL', `'${input.serial}' is not a hexadecimal serial number`, 'Give the serial in hex, as openssl x509 -serial prints it');
  getCa(ctx.store.db, input.caId);
  const cert = getCertificate(ctx.store.db, input.caId, serial);
  if (cert.status === 'revoked') {
    throw new ColdrootError('ALREADY_REVOKED', `Certificate ${serial} of CA '${input.caId}' was already revoked at ${cert.revokedAt} (${cert.revocationReason})`, 'Nothing to do; publish a CRL to distribute the revocation');
  }
  if (cert.profile === 'root-ca') {
    throw new ColdrootError('CANNOT_REVOKE_ROOT', `Certificate ${serial} is the self-signed root of '${input.caId}'`, 'Remove the root from relying parties\' trust stores instead');
  }
  const at = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000).toISOString();
  ctx.store.transaction(() => {
    markRevoked(ctx.store.db, input.caId, serial, at, reason);
    ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'cert.revoke', inputs: { serial, reason }, outcome: 'ok', details: { caId: input.caId, serial, reason } }, ctx.now());
  });
  return { caId: input.caId, serial, reason, revokedAt: at };
}
