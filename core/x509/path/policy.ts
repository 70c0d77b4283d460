import type { ParsedCertificate } from './parsed-certificate.js';
import { failure, type PathFailure } from './path-failure.js';

const ANY_POLICY = '2.5.29.32.0';

/**
 * RFC 5280 §6.1 certificate policy processing with the caller's defaults (any policy acceptable,
 * no explicit policy, mapping and anyPolicy allowed). Without qualifiers or a policy set to
 * report, the valid_policy_tree reduces to the set of expected policy OIDs at its bottom level,
 * which is all we need to decide whether a requireExplicitPolicy constraint is met.
 *
 * `path` runs from the certificate issued by the trust anchor down to the leaf (RFC order); the
 * anchor itself is not part of it.
 */
export function policyFailure(path: readonly ParsedCertificate[]): PathFailure | null {
  const n = path.length;
  let explicitPolicy = n + 1;
  let inhibitAnyPolicy = n + 1;
  let policyMapping = n + 1;
  let valid: Set<string> | null = new Set([ANY_POLICY]);
  let requiredBy: ParsedCertificate | null = null;

  for (let i = 1; i <= n; i++) {
    const cert = path[i - 1];
    const isLast = i === n;
    const policies = cert.ext.policies;
    if (valid && policies) {
      const next = new Set<string>();
      const anyAllowed = policies.includes(ANY_POLICY) && (inhibitAnyPolicy > 0 || (!isLast && cert.selfIssued));
      for (const p of policies) {
        if (p !== ANY_POLICY && (valid.has(p) || valid.has(ANY_POLICY))) next.add(p);
      }
      if (anyAllowed) for (const p of valid) next.add(p);
      valid = next.size > 0 ? next : null;
    } else {
      valid = null;
    }
    const pc = cert.ext.policyConstraints;
    if (!isLast) {
      for (const m of cert.ext.policyMappings ?? []) {
        if (m.issuer === ANY_POLICY || m.subject === ANY_POLICY) {
          return failure('POLICY', `certificate '${cert.label}' maps anyPolicy, which RFC 5280 §6.1.4 (a) forbids`, cert.label);
        }
        if (!valid) continue;
        if (valid.has(m.issuer)) {
          valid.delete(m.issuer);
          if (policyMapping > 0) valid.add(m.subject);
        } else if (valid.has(ANY_POLICY) && policyMapping > 0) {
          valid.add(m.subject);
        }
      }
      if (valid && valid.size === 0) valid = null;
      if (!cert.selfIssued) {
        if (explicitPolicy > 0) explicitPolicy--;
        if (policyMapping > 0) policyMapping--;
        if (inhibitAnyPolicy > 0) inhibitAnyPolicy--;
      }
      if (pc?.requireExplicitPolicy !== undefined && pc.requireExplicitPolicy < explicitPolicy) {
        explicitPolicy = pc.requireExplicitPolicy;
        requiredBy = cert;
      }
      if (pc?.inhibitPolicyMapping !== undefined) policyMapping = Math.min(policyMapping, pc.inhibitPolicyMapping);
      if (cert.ext.inhibitAnyPolicy !== undefined) inhibitAnyPolicy = Math.min(inhibitAnyPolicy, cert.ext.inhibitAnyPolicy);
    } else {
      if (explicitPolicy > 0) explicitPolicy--;
      if (pc?.requireExplicitPolicy === 0) {
        explicitPolicy = 0;
        requiredBy = cert;
      }
    }
    if (explicitPolicy === 0 && !valid) {
      const who = requiredBy ? `'${requiredBy.label}' requires an explicit certificate policy` : 'an explicit certificate policy is required';
      return failure('POLICY', `${who}, but no policy is valid down to certificate '${cert.label}'`, cert.label);
    }
  }
  return null;
}
