import { bytesEqual } from './der.js';
import { dnsPatternMatches, isValidDnsName } from './dns-name.js';
import { describeGeneralName, type GeneralNameValue } from './general-names.js';
import { parseIpAddress } from './ip-address.js';

/**
 * Why `hostname` (a DNS name or an IP literal) does not match the subjectAltName entries, or null.
 * DNS names match dNSName entries (exactly, or by a single leftmost '*' label); IP literals match
 * iPAddress entries only. The subject CN is never consulted (RFC 9525 §6.3, CABF).
 */
export function hostnameMismatch(hostname: string, sans: readonly GeneralNameValue[] | undefined): string | null {
  const listed = sans && sans.length > 0 ? `its names: ${sans.map(describeGeneralName).join(', ')}` : 'it has no subjectAltName';
  const ip = parseIpAddress(hostname);
  if (ip) {
    const found = sans?.some((n) => n.kind === 'ip' && bytesEqual(n.bytes, ip));
    return found ? null : `is not valid for IP address ${hostname} (${listed})`;
  }
  const host = hostname.endsWith('.') ? hostname.slice(0, -1) : hostname;
  if (!isValidDnsName(host)) return `cannot be matched: '${hostname}' is not a valid DNS name or IP address`;
  const found = sans?.some((n) => n.kind === 'dns' && dnsPatternMatches(n.value, host));
  return found ? null : `is not valid for host name ${hostname} (${listed})`;
}
