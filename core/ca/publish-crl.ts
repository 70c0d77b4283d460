import { ColdrootError } from '../errors.js';
import type { KeySecret } from '../keys/key-spec.js';
import { advanceCrlNumber } from '../store/ca-repository.js';
import { iterateRevoked } from '../store/certificate-repository.js';
import { assembleSigned, signAndVerify, signatureAlgorithmDer } from '../x509/certificate-builder.js';
import { encodeTbsCertList, type CrlEntry } from '../x509/crl-encoder.js';
import { openIssuingCa } from './issuing-ca.js';
import type { OperationContext } from './operation-context.js';
import { REVOCATION_REASONS } from './revoke-certificate.js';

export interface CrlInput {
  caId: string;
  secret: KeySecret;
  /** Hours until nextUpdate (default 7 days). */
  nextUpdateHours?: number;
}

export interface PublishedCrl {
  caId: string;
  crlNumber: number;
  thisUpdate: string;
  nextUpdate: string;
  revokedCount: number;
  der: Uint8Array;
}

/** Signs a full CRL of every revoked certificate of the CA, with the next CRL number. */
export async function publishCrl(ctx: OperationContext, input: CrlInput): Promise<PublishedCrl> {
  const hours = input.nextUpdateHours ?? 168;
  if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 400) {
    throw new ColdrootError('BAD_NEXT_UPDATE', `nextUpdate of ${hours} hours is out of range`, 'Give a whole number of hours between 1 and 9600');
  }
  const issuer = await openIssuingCa(ctx, input.caId, input.secret);
  try {
    const thisUpdate = new Date(Math.floor(ctx.now().getTime() / 1000) * 1000);
    const nextUpdate = new Date(thisUpdate.getTime() + hours * 3_600_000);
    const crlNumber = issuer.ca.crlNumber + 1;
    let revokedCount = 0;
    function* entries(): Generator<CrlEntry> {
      for (const r of iterateRevoked(ctx.store.db, issuer.ca.id)) {
        revokedCount++;
        yield { serialHex: r.serial, revokedAt: new Date(r.revokedAt), reasonCode: REVOCATION_REASONS[r.reason] };
      }
    }
    const alg = signatureAlgorithmDer(issuer.signer);
    const tbs = Buffer.concat(encodeTbsCertList({ issuer: issuer.subjectDer, authorityKeyId: issuer.keyIdentifier, crlNumber, thisUpdate, nextUpdate }, alg, entries()));
    const der = assembleSigned(tbs, alg, await signAndVerify(tbs, issuer.signer, issuer.ca.publicKeySpki));
    ctx.store.transaction(() => {
      if (!advanceCrlNumber(ctx.store.db, issuer.ca.id, issuer.ca.crlNumber, crlNumber)) {
        throw new ColdrootError('CRL_NUMBER_CONFLICT', `Another CRL for CA '${issuer.ca.id}' was published meanwhile`, 'Run the command again', 'failure');
      }
      ctx.store.db.prepare('INSERT INTO crls (ca_id, crl_number, this_update, next_update, der) VALUES (?, ?, ?, ?, ?)').run(issuer.ca.id, crlNumber, thisUpdate.toISOString(), nextUpdate.toISOString(), Buffer.from(der));
      ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'crl.publish', inputs: {}, outcome: 'ok', details: { caId: issuer.ca.id, crlNumber, revokedCount } }, ctx.now());
    });
    return { caId: issuer.ca.id, crlNumber, thisUpdate: thisUpdate.toISOString(), nextUpdate: nextUpdate.toISOString(), revokedCount, der };
  } finally {
    await issuer.signer.close();
  }
}
