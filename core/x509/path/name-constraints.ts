import { DerError, isUniversal, readChildren, readSingle, type DerElement } from './der.js';
import { ATTRIBUTE, attributeValues, isWithinDirectorySubtree, type DistinguishedName } from './distinguished-name.js';
import { isValidDnsName, isValidDnsPattern, patternIntersectsDnsSubtree, patternWithinDnsSubtree } from './dns-name.js';
import { describeGeneralName, parseGeneralName, type GeneralNameKind, type GeneralNameValue } from './general-names.js';
import { ipWithinConstraint, isValidIpConstraint } from './ip-address.js';

export interface NameConstraintsValue {
  readonly permitted: readonly GeneralNameValue[];
  readonly excluded: readonly GeneralNameValue[];
}

/** Bounds the name × constraint comparisons of one path, so crafted certificates cannot stall us. */
export const NAME_CONSTRAINT_COMPARISON_BUDGET = 1 << 16;

function parseSubtrees(el: DerElement): GeneralNameValue[] {
  const subtrees = readChildren(el).map((st) => {
    if (!isUniversal(st, 16)) throw new DerError('GeneralSubtree is not a SEQUENCE');
    const [base, ...rest] = readChildren(st);
    if (!base) throw new DerError('GeneralSubtree without base');
    // RFC 5280 §4.2.1.10: minimum MUST be zero and maximum MUST be absent.
    for (const r of rest) {
      const isZeroMinimum = r.tagClass === 2 && r.tagNumber === 0 && r.value.length === 1 && r.value[0] === 0;
      if (!isZeroMinimum) throw new DerError('GeneralSubtree minimum/maximum are not supported');
    }
    return parseGeneralName(base);
  });
  if (subtrees.length === 0) throw new DerError('GeneralSubtrees is empty');
  return subtrees;
}

/** NameConstraints ::= SEQUENCE { permittedSubtrees [0] OPTIONAL, excludedSubtrees [1] OPTIONAL } */
export function parseNameConstraints(der: Uint8Array): NameConstraintsValue {
  const seq = readSingle(der);
  if (!isUniversal(seq, 16)) throw new DerError('NameConstraints is not a SEQUENCE');
  let permitted: GeneralNameValue[] = [];
  let excluded: GeneralNameValue[] = [];
  let lastTag = -1;
  for (const child of readChildren(seq)) {
    if (child.tagClass !== 2 || child.tagNumber <= lastTag || child.tagNumber > 1) {
      throw new DerError('unexpected field in NameConstraints');
    }
    lastTag = child.tagNumber;
    if (child.tagNumber === 0) permitted = parseSubtrees(child);
    else excluded = parseSubtrees(child);
  }
  if (lastTag === -1) throw new DerError('NameConstraints has neither permitted nor excluded subtrees');
  return { permitted, excluded };
}

function splitEmail(address: string): { local: string; domain: string } | null {
  const at = address.indexOf('@');
  if (at <= 0 || at !== address.lastIndexOf('@')) return null;
  const domain = address.slice(at + 1);
  return isValidDnsName(domain) ? { local: address.slice(0, at), domain: domain.toLowerCase() } : null;
}

function isValidEmailConstraint(c: string): boolean {
  if (c.includes('@')) return splitEmail(c) !== null;
  return isValidDnsName(c.startsWith('.') ? c.slice(1) : c);
}

function uriHost(uri: string): string | null {
  const m = /^[a-z][a-z0-9+.-]*:\/\/(?:[^@/?#]*@)?([^:/?#[\]]*)/i.exec(uri);
  return m && isValidDnsName(m[1]) ? m[1].toLowerCase() : null;
}

/** Why a constraint itself is unusable (RFC 5280 syntax), or null. */
function invalidConstraint(c: GeneralNameValue): string | null {
  switch (c.kind) {
    case 'dns':
      // Leading dots and wildcards are not dNSName constraint syntax (only URI constraints take dots).
      return c.value === '' || isValidDnsName(c.value) ? null : `invalid dNSName constraint '${c.value}'`;
    case 'ip':
      return isValidIpConstraint(c.bytes) ? null : `invalid iPAddress constraint (${c.bytes.length} octets or non-contiguous mask)`;
    case 'email':
      return isValidEmailConstraint(c.value) ? null : `invalid rfc822Name constraint '${c.value}'`;
    case 'uri':
      return isValidDnsName(c.value.startsWith('.') ? c.value.slice(1) : c.value) ? null : `invalid URI constraint '${c.value}'`;
    default:
      return null;
  }
}

export function nameConstraintsProblem(nc: NameConstraintsValue): string | null {
  for (const c of [...nc.permitted, ...nc.excluded]) {
    const p = invalidConstraint(c);
    if (p) return p;
  }
  return null;
}

/**
 * The names of a certificate that name constraints apply to (RFC 5280 §6.1.3 (b), (c)): SANs,
 * the subject DN and its emailAddress attributes. The CN is not a DNS identity here, as it is
 * not one for host name matching either (BetterTLS expects exactly this).
 */
export function constrainedNames(subject: DistinguishedName, sans: readonly GeneralNameValue[] | undefined): GeneralNameValue[] {
  const names: GeneralNameValue[] = [...(sans ?? [])];
  if (!subject.isEmpty) names.push({ kind: 'dn', name: subject });
  for (const email of attributeValues(subject, ATTRIBUTE.emailAddress)) names.push({ kind: 'email', value: email });
  return names;
}

/** name ⊆ constraint (`excluded` asks for any overlap instead, e.g. for wildcard dNSNames). */
function matches(name: GeneralNameValue, c: GeneralNameValue, excluded: boolean): boolean | 'invalid' {
  if (name.kind === 'dns' && c.kind === 'dns') {
    if (!isValidDnsPattern(name.value)) return 'invalid';
    return excluded ? patternIntersectsDnsSubtree(name.value, c.value) : patternWithinDnsSubtree(name.value, c.value);
  }
  if (name.kind === 'ip' && c.kind === 'ip') {
    if (name.bytes.length !== 4 && name.bytes.length !== 16) return 'invalid';
    return ipWithinConstraint(name.bytes, c.bytes);
  }
  if (name.kind === 'email' && c.kind === 'email') {
    const addr = splitEmail(name.value);
    if (!addr) return 'invalid';
    if (c.value.includes('@')) {
      const want = splitEmail(c.value)!;
      return want.local === addr.local && want.domain === addr.domain;
    }
    const base = c.value.toLowerCase();
    return base.startsWith('.') ? addr.domain.endsWith(base) : addr.domain === base;
  }
  if (name.kind === 'uri' && c.kind === 'uri') {
    const host = uriHost(name.value);
    if (!host) return 'invalid';
    const base = c.value.toLowerCase();
    return base.startsWith('.') ? host.endsWith(base) : host === base;
  }
  if (name.kind === 'dn' && c.kind === 'dn') return isWithinDirectorySubtree(name.name, c.name);
  // otherName, x400Address, ediPartyName, registeredID: RFC 5280 lets us reject what we cannot process.
  return 'invalid';
}

export interface NameConstraintBudget {
  remaining: number;
}

/** Checks `names` against one certificate's constraints; returns the violation or null. */
export function nameConstraintViolation(
  nc: NameConstraintsValue,
  names: readonly GeneralNameValue[],
  budget: NameConstraintBudget,
): string | null {
  const permittedKinds = new Set<GeneralNameKind>(nc.permitted.map((c) => c.kind));
  const excludedKinds = new Set<GeneralNameKind>(nc.excluded.map((c) => c.kind));
  for (const name of names) {
    if (!permittedKinds.has(name.kind) && !excludedKinds.has(name.kind)) continue;
    budget.remaining -= nc.permitted.length + nc.excluded.length;
    if (budget.remaining < 0) return 'too many name constraint comparisons (denial-of-service guard)';
    const shown = describeGeneralName(name);
    for (const c of nc.excluded) {
      if (c.kind !== name.kind) continue;
      const m = matches(name, c, true);
      if (m === 'invalid') return `name ${shown} cannot be checked against the constraints`;
      if (m) return `name ${shown} is in the excluded subtree ${describeGeneralName(c)}`;
    }
    if (permittedKinds.has(name.kind)) {
      let ok = false;
      for (const c of nc.permitted) {
        if (c.kind !== name.kind) continue;
        const m = matches(name, c, false);
        if (m === 'invalid') return `name ${shown} cannot be checked against the constraints`;
        if (m) {
          ok = true;
          break;
        }
      }
      if (!ok) return `name ${shown} is not in any permitted subtree`;
    }
  }
  return null;
}
