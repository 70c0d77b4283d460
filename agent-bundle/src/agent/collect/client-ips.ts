import { isIP } from 'node:net';

/** A canonical text form of an address (IPv4 dotted; IPv6 as 8 full lowercase groups; IPv4-mapped IPv6 as IPv4), or null. */
export function normalizeIp(text: string): string | null {
  const t = text.trim();
  const v = isIP(t);
  if (v === 4) return t.split('.').map((o) => String(Number(o))).join('.');
  if (v !== 6) return null;
  const groups = expandIpv6(t.toLowerCase());
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `${groups[6] >> 8}.${groups[6] & 255}.${groups[7] >> 8}.${groups[7] & 255}`;
  }
  return groups.map((g) => g.toString(16).padStart(4, '0')).join(':');
}

function expandIpv6(t: string): number[] {
  let s = t.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(s);
  if (v4) {
    const o = v4[1].split('.').map(Number);
    s = `${s.slice(0, -v4[1].length)}${((o[0] << 8) | o[1]).toString(16)}:${((o[2] << 8) | o[3]).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, null];
  const h = head ? head.split(':') : [];
  const tl = tail ? tail.split(':') : [];
  const zeros = tail === null ? [] : Array<string>(8 - h.length - tl.length).fill('0');
  return [...h, ...zeros, ...tl].map((g) => parseInt(g, 16));
}

/** The client network an address belongs to: its /24 (IPv4) or /64 (IPv6), written as a prefix. */
export function networkOf(ip: string): string {
  if (ip.includes('.')) return `${ip.split('.').slice(0, 3).join('.')}.0/24`;
  return `${ip.split(':').slice(0, 4).join(':')}::/64`;
}

/** Persisted memory of client addresses and networks: value = last time seen (Unix seconds). */
export interface SeenClients {
  ips: Record<string, number>;
  nets: Record<string, number>;
}

export const MAX_SEEN_IPS = 50_000;
export const MAX_SEEN_NETS = 20_000;

export interface ClientCounts {
  distinct: number;
  /** Distinct networks (/24, /64) of the window's addresses. */
  distinctNets: number;
  /** Addresses not in memory before this window. */
  fresh: number;
  /** Networks (/24, /64) not in memory before this window. */
  freshNets: number;
  freshIps: Set<string>;
}

function forgetOldest(m: Record<string, number>, max: number): void {
  const keys = Object.keys(m);
  if (keys.length <= max) return;
  keys.sort((a, b) => m[a] - m[b]);
  for (const k of keys.slice(0, keys.length - max)) delete m[k];
}

/**
 * Counts a window's client addresses against the memory and updates it. The memory is bounded
 * (least recently seen forgotten first), so "new" means new within that memory, as the metric says.
 */
export function countClients(seen: SeenClients, windowIps: Iterable<string>, nowSeconds: number, limits = { ips: MAX_SEEN_IPS, nets: MAX_SEEN_NETS }): ClientCounts {
  const distinct = new Set(windowIps);
  const freshIps = new Set<string>();
  const freshNets = new Set<string>();
  const nets = new Set<string>();
  for (const ip of distinct) {
    if (!(ip in seen.ips)) freshIps.add(ip);
    const net = networkOf(ip);
    nets.add(net);
    if (!(net in seen.nets)) freshNets.add(net);
    seen.ips[ip] = nowSeconds;
    seen.nets[net] = nowSeconds;
  }
  forgetOldest(seen.ips, limits.ips);
  forgetOldest(seen.nets, limits.nets);
  return { distinct: distinct.size, distinctNets: nets.size, fresh: freshIps.size, freshNets: freshNets.size, freshIps };
}
