/**
 * Stable failure codes of path validation. Callers (CLI, bundle import, agent) switch on these;
 * renaming one is a breaking change.
 */
export const PATH_FAILURE_CODES = [
  'NO_PATH', // no chain from the leaf to a trust anchor could be built
  'PATH_BUILDING_LIMIT', // the path builder's work bound ran out (e.g. certificate cycles)
  'EXPIRED',
  'NOT_YET_VALID',
  'BAD_SIGNATURE',
  'NOT_A_CA',
  'PATH_LENGTH_EXCEEDED', // a pathLenConstraint or the caller's maxDepth
  'KEY_USAGE',
  'EXTENDED_KEY_USAGE',
  'NAME_CONSTRAINTS',
  'HOSTNAME_MISMATCH',
  'POLICY', // certificate policy processing (requireExplicitPolicy) failed
  'REVOKED',
  'CRL_INVALID',
  'CRL_EXPIRED',
  'CRL_MISSING', // requireCrl and no CRL covers a certificate of the chain
  'UNKNOWN_CRITICAL_EXTENSION',
  'PROFILE_VIOLATION', // breaks an RFC 5280 profile MUST (e.g. critical AKI, CA without SKI)
  'UNSUPPORTED_ALGORITHM', // weak or unsupported key or signature algorithm
  'MALFORMED',
  'INVALID_INPUT', // the caller's options are unusable (e.g. unknown purpose name)
] as const;

export type PathFailureCode = (typeof PATH_FAILURE_CODES)[number];

export interface PathFailure {
  readonly ok: false;
  readonly code: PathFailureCode;
  readonly message: string;
  /** Subject of the offending certificate, when one is to blame. */
  readonly certificate?: string;
}

export function failure(code: PathFailureCode, message: string, certificate?: string): PathFailure {
  return certificate === undefined ? { ok: false, code, message } : { ok: false, code, message, certificate };
}

/** RFC 3339 without milliseconds, as operators read it in openssl output. */
export function formatTime(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
