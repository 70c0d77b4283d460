/** DNS name syntax and matching rules shared by hostname checks and name constraints. */

const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * RFC 1034 §3.5 preferred name syntax as amended by RFC 1123 §2.1 (letters, digits, hyphens;
 * no leading/trailing hyphen; no empty labels, underscores, trailing dot or non-ASCII).
 */
export function isValidDnsName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  return name.toLowerCase().split('.').every((l) => LABEL.test(l));
}

/** A SAN dNSName: a valid name, or '*.' followed by a valid name of at least two labels. */
export function isValidDnsPattern(name: string): boolean {
  if (name.startsWith('*.')) {
    const rest = name.slice(2);
    // '*.com' would cover a whole top-level domain; require at least two labels after the wildcard.
    return isValidDnsName(rest) && rest.includes('.');
  }
  return isValidDnsName(name);
}

/** `name` equals `base` or is a subdomain of it (RFC 5280 §4.2.1.10 dNSName subtree). */
export function isWithinDnsSubtree(name: string, base: string): boolean {
  if (base.length === 0) return true;
  const n = name.toLowerCase();
  const b = base.toLowerCase();
  return n === b || n.endsWith(`.${b}`);
}

/** Whether `pattern` (a SAN dNSName, possibly '*.x') matches reference name `host` (RFC 6125 §6.4). */
export function dnsPatternMatches(pattern: string, host: string): boolean {
  const p = pattern.toLowerCase();
  const h = host.toLowerCase();
  if (!isValidDnsPattern(p)) return false;
  if (!p.startsWith('*.')) return p === h;
  const dot = h.indexOf('.');
  return dot > 0 && h.slice(dot + 1) === p.slice(2);
}

function labelCount(name: string): number {
  return name.split('.').length;
}

/** Every name `pattern` can match lies inside the subtree `base`. */
export function patternWithinDnsSubtree(pattern: string, base: string): boolean {
  return isWithinDnsSubtree(pattern.startsWith('*.') ? pattern.slice(2) : pattern, base);
}

/** Some name `pattern` can match lies inside the subtree `base` (defensive excluded-subtree test). */
export function patternIntersectsDnsSubtree(pattern: string, base: string): boolean {
  if (!pattern.startsWith('*.')) return isWithinDnsSubtree(pattern, base);
  const parent = pattern.slice(2).toLowerCase();
  const b = base.toLowerCase();
  if (isWithinDnsSubtree(parent, b)) return true;
  // '*.example.com' can stand for 'bar.example.com', which an excluded 'bar.example.com' covers.
  return b.endsWith(`.${parent}`) && labelCount(b) === labelCount(parent) + 1;
}
