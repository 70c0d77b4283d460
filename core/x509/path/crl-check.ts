import type { ParsedCertificate } from './parsed-certificate.js';
import { serialKey, type ParsedCrl } from './parsed-crl.js';
import { failure, formatTime, type PathFailure } from './path-failure.js';
import { verifySignature } from './signature.js';

export interface RevocationContext {
  readonly crls: readonly ParsedCrl[];
  readonly at: Date;
  readonly requireCrl: boolean;
  /** Per-call cache of CRL checks against an issuer: paths often share issuers. */
  readonly checked: Map<ParsedCrl, Map<ParsedCertificate, PathFailure | null>>;
}

function describeCrl(crl: ParsedCrl): string {
  return `CRL of '${crl.issuer.text}' (thisUpdate ${formatTime(crl.thisUpdate)})`;
}

/** RFC 5280 §6.3.3 (a), (f), (g) for one CRL and the issuer it claims. */
function crlFailure(crl: ParsedCrl, issuer: ParsedCertificate, at: Date): PathFailure | null {
  const what = describeCrl(crl);
  const key = issuer.publicKey();
  if ('error' in key) return failure('CRL_INVALID', `${what} cannot be checked: issuer key is unusable (${key.error})`, issuer.label);
  if (issuer.ext.keyUsage && !issuer.ext.keyUsage.has('cRLSign')) {
    return failure('CRL_INVALID', `${what} is signed by '${issuer.label}', whose keyUsage lacks cRLSign`, issuer.label);
  }
  const sig = verifySignature(crl.tbs, crl.signatureAlgorithm, crl.signature, key.key);
  if (!sig.ok) return failure('CRL_INVALID', `${what} does not verify with the key of '${issuer.label}': ${sig.detail}`, issuer.label);
  if (crl.problems.length > 0) return failure('CRL_INVALID', `${what} ${crl.problems[0]}`, issuer.label);
  const t = Math.floor(at.getTime() / 1000) * 1000;
  if (crl.thisUpdate.getTime() > t) {
    return failure('CRL_INVALID', `${what} is not yet valid at validation time ${formatTime(at)}`, issuer.label);
  }
  if (!crl.nextUpdate) return failure('CRL_INVALID', `${what} has no nextUpdate, so its freshness cannot be judged`, issuer.label);
  if (crl.nextUpdate.getTime() < t) {
    return failure('CRL_EXPIRED', `${what} is stale: nextUpdate ${formatTime(crl.nextUpdate)}, validation time ${formatTime(at)}`, issuer.label);
  }
  return null;
}

function cachedCrlFailure(ctx: RevocationContext, crl: ParsedCrl, issuer: ParsedCertificate): PathFailure | null {
  let byIssuer = ctx.checked.get(crl);
  if (!byIssuer) ctx.checked.set(crl, (byIssuer = new Map()));
  if (!byIssuer.has(issuer)) byIssuer.set(issuer, crlFailure(crl, issuer, ctx.at));
  return byIssuer.get(issuer)!;
}

function covers(crl: ParsedCrl, cert: ParsedCertificate): boolean {
  if (crl.isDelta || crl.scope.partial) return false;
  if (crl.scope.onlyCaCerts && !cert.isCA()) return false;
  if (crl.scope.onlyUserCerts && cert.isCA()) return false;
  return true;
}

/**
 * Revocation status of `cert` issued by `issuer`. With no CRL from that issuer it passes (or,
 * with requireCrl, fails with CRL_MISSING). Otherwise the newest CRL that verifies and is fresh
 * decides; if none does, the first CRL's problem is reported: a supplied CRL that cannot be
 * trusted must not silently turn into "not revoked".
 */
export function revocationFailure(cert: ParsedCertificate, issuer: ParsedCertificate, ctx: RevocationContext): PathFailure | null {
  const candidates = ctx.crls.filter((c) => c.issuer.key === issuer.subject.key && covers(c, cert));
  if (candidates.length === 0) {
    if (!ctx.requireCrl) return null;
    return failure('CRL_MISSING', `no CRL from '${issuer.label}' was supplied to check certificate '${cert.label}'`, cert.label);
  }
  const usable: ParsedCrl[] = [];
  let firstProblem: PathFailure | null = null;
  for (const crl of candidates) {
    const problem = cachedCrlFailure(ctx, crl, issuer);
    if (problem) firstProblem ??= problem;
    else usable.push(crl);
  }
  if (usable.length === 0) return firstProblem;
  const newest = usable.reduce((a, b) => {
    const dt = b.thisUpdate.getTime() - a.thisUpdate.getTime();
    if (dt !== 0) return dt > 0 ? b : a;
    return (b.crlNumber ?? 0n) > (a.crlNumber ?? 0n) ? b : a;
  });
  const entry = newest.revoked.get(serialKey(cert.serial));
  if (!entry) return null;
  const reason = entry.reason ? ` (reason: ${entry.reason})` : '';
  return failure(
    'REVOKED',
    `certificate '${cert.label}' (serial ${cert.serialHex}) was revoked at ${formatTime(entry.revokedAt)}${reason} according to the ${describeCrl(newest)}`,
    cert.label,
  );
}
