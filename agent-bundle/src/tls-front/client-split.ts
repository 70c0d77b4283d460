import type { Arm } from '../../../core/policy/canary/handshake-observation.js';

/**
 * Which clients get the new certificate. The split is nginx's split_clients, reproduced bit for
 * bit: MurmurHash2 of "<client address><rollout id>" against cumulative thresholds of
 * percent·(2³²−1)/100 at hundredths of a percent. So the agent's own front, an nginx configured
 * with the emitted snippet, and the log reader attributing nginx's handshake errors all put a
 * client on the same side; one client sees one certificate; and raising the exposure only adds
 * clients (a client on new stays on new).
 */

/** nginx's ngx_murmur_hash2 (MurmurHash2, seed 0) over bytes. */
export function murmurHash2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  let len = data.length;
  let h = len >>> 0;
  let i = 0;
  while (len >= 4) {
    let k = data[i] | (data[i + 1] << 8) | (data[i + 2] << 16) | (data[i + 3] << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
    i += 4;
    len -= 4;
  }
  switch (len) {
    case 3: h ^= data[i + 2] << 16; // falls through
    case 2: h ^= data[i + 1] << 8; // falls through
    case 1:
      h ^= data[i];
      h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h >>> 0;
}

/** The address as nginx's $remote_addr writes it: IPv4-mapped IPv6 ('::ffff:192.0.2.1') as plain IPv4. */
export function normalizeClientAddress(address: string | undefined): string {
  if (!address) return '';
  const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(address);
  return mapped ? mapped[1] : address.toLowerCase();
}

/** The client's hash, as split_clients computes it for the key "${remote_addr}<rollout id>". */
export function clientHash(address: string, rolloutId: string): number {
  return murmurHash2(Buffer.from(`${normalizeClientAddress(address)}${rolloutId}`, 'utf8'));
}

/** The client's point in [0, 1): hash / 2³². */
export function clientPoint(address: string, rolloutId: string): number {
  return clientHash(address, rolloutId) / 4294967296;
}

/** nginx's threshold for "P% new; * old;": hash < threshold → new. */
export function splitThreshold(exposurePercent: number): number {
  const hundredths = Math.round(Math.min(100, Math.max(0, exposurePercent)) * 100);
  // ngx_conf_split_clients_block: last += percent * (uint64_t) 0xffffffff / 10000 (integer division).
  return Number((BigInt(hundredths) * 0xffffffffn) / 10000n);
}

/** Old or new for this client at this exposure. 0% is always old and 100% always new (nginx's `*` line). */
export function canaryArm(address: string, exposurePercent: number, rolloutId: string): Arm {
  if (exposurePercent <= 0) return 'old';
  if (exposurePercent >= 100) return 'new';
  return clientHash(address, rolloutId) < splitThreshold(exposurePercent) ? 'new' : 'old';
}
