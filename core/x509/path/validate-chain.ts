import { revocationFailure, type RevocationContext } from './crl-check.js';
import { issuerPurposeFailure } from './key-purpose.js';
import {
  constrainedNames,
  NAME_CONSTRAINT_COMPARISON_BUDGET,
  nameConstraintViolation,
  type NameConstraintBudget,
} from './name-constraints.js';
import type { ParsedCertificate } from './parsed-certificate.js';
import { failure, type PathFailure } from './path-failure.js';
import { policyFailure } from './policy.js';

export interface ChainRules {
  /** Required EKU OID, or null for any purpose. */
  readonly purposeOid: string | null;
  readonly revocation: RevocationContext;
}

/** RFC 5280 §4.2.1.9: at most pathLenConstraint non-self-issued intermediates may follow a CA. */
function pathLengthFailure(chain: readonly ParsedCertificate[]): PathFailure | null {
  let below = 0; // non-self-issued intermediates between chain[i] and the leaf
  for (let i = 1; i < chain.length; i++) {
    const limit = chain[i].ext.basicConstraints?.pathLen;
    if (limit !== undefined && below > limit) {
      return failure(
        'PATH_LENGTH_EXCEEDED',
        `issuer '${chain[i].label}' allows ${limit} intermediate CA certificate(s) below it (pathLenConstraint), but the path has ${below}`,
        chain[i].label,
      );
    }
    if (!chain[i].selfIssued) below++;
  }
  return null;
}

/** RFC 5280 §6.1.3 (b), (c): each CA's constraints bind every later certificate except self-issued intermediates. */
function nameConstraintsFailure(chain: readonly ParsedCertificate[]): PathFailure | null {
  const budget: NameConstraintBudget = { remaining: NAME_CONSTRAINT_COMPARISON_BUDGET };
  for (let i = 1; i < chain.length; i++) {
    const nc = chain[i].ext.nameConstraints;
    if (!nc) continue;
    for (let j = 0; j < i; j++) {
      const cert = chain[j];
      if (j > 0 && cert.selfIssued) continue;
      const names = constrainedNames(cert.subject, cert.ext.subjectAltNames);
      const violation = nameConstraintViolation(nc, names, budget);
      if (violation) {
        return failure('NAME_CONSTRAINTS', `certificate '${cert.label}' violates the name constraints of '${chain[i].label}': ${violation}`, cert.label);
      }
    }
  }
  return null;
}

/**
 * The checks that need a complete chain (leaf … anchor): path length, name constraints, EKU of
 * the issuers, certificate policies and revocation. Per-certificate checks run while building.
 */
export function chainFailure(chain: readonly ParsedCertificate[], rules: ChainRules): PathFailure | null {
  const pathLength = pathLengthFailure(chain);
  if (pathLength) return pathLength;
  const nc = nameConstraintsFailure(chain);
  if (nc) return nc;
  for (let i = 1; i < chain.length; i++) {
    const eku = issuerPurposeFailure(chain[i], rules.purposeOid);
    if (eku) return eku;
  }
  const policy = policyFailure(chain.slice(0, -1).reverse());
  if (policy) return policy;
  for (let i = 0; i + 1 < chain.length; i++) {
    const revoked = revocationFailure(chain[i], chain[i + 1], rules.revocation);
    if (revoked) return revoked;
  }
  return null;
}
