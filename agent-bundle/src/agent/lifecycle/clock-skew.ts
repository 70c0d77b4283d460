/**
 * A device clock behind what it has already seen cannot be trusted to judge validity: renewing
 * on it could throw away a good certificate, so the agent reports the skew and does nothing else.
 */
export interface ClockSkew {
  reason: 'before-certificate-not-before' | 'before-newest-bundle';
  /** The time the clock should at least show. */
  expectedAtLeast: Date;
  /** How far behind the clock is, in seconds. */
  behindSeconds: number;
  message: string;
}

export function detectClockSkew(now: Date, seen: { certificateNotBefore?: Date | null; newestBundleCreatedAt?: Date | null }): ClockSkew | null {
  const behind = (t: Date) => Math.ceil((t.getTime() - now.getTime()) / 1000);
  const nb = seen.certificateNotBefore;
  if (nb && now.getTime() < nb.getTime()) {
    return { reason: 'before-certificate-not-before', expectedAtLeast: nb, behindSeconds: behind(nb),
      message: `The clock (${now.toISOString()}) is before the active certificate's notBefore (${nb.toISOString()}); fix the system time (NTP) before the agent acts` };
  }
  const nbc = seen.newestBundleCreatedAt;
  if (nbc && now.getTime() < nbc.getTime()) {
    return { reason: 'before-newest-bundle', expectedAtLeast: nbc, behindSeconds: behind(nbc),
      message: `The clock (${now.toISOString()}) is before the newest bundle this agent has seen (created ${nbc.toISOString()}); fix the system time (NTP) before the agent acts` };
  }
  return null;
}
