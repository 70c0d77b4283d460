const DAY_MS = 86_400_000;

export type CertificateState = 'missing' | 'valid' | 'expiring' | 'expired' | 'not-yet-valid';

export interface CertificateWatch {
  state: CertificateState;
  notBefore: Date | null;
  notAfter: Date | null;
  /** Whole days until notAfter (negative once expired); null when there is no certificate. */
  daysLeft: number | null;
  /** Renewal is due: expiring, expired or missing. */
  renewalDue: boolean;
}

/**
 * The management certificate's state at `now`. Expiring means at most `thresholdDays` left, so
 * with the default 30 a certificate with 31 days left is still 'valid' and one with 30 is due.
 */
export function watchCertificate(cert: { notBefore: Date; notAfter: Date } | null, now: Date, thresholdDays: number): CertificateWatch {
  if (!cert) return { state: 'missing', notBefore: null, notAfter: null, daysLeft: null, renewalDue: true };
  const leftMs = cert.notAfter.getTime() - now.getTime();
  const daysLeft = Math.floor(leftMs / DAY_MS);
  let state: CertificateState;
  if (now.getTime() < cert.notBefore.getTime()) state = 'not-yet-valid';
  else if (leftMs <= 0) state = 'expired';
  else if (leftMs <= thresholdDays * DAY_MS) state = 'expiring';
  else state = 'valid';
  return { state, notBefore: cert.notBefore, notAfter: cert.notAfter, daysLeft, renewalDue: state === 'expiring' || state === 'expired' };
}
