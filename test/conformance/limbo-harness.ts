import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { validatePath, type PathValidationInput, type PathValidationResult } from '../../core/x509/path/index.js';

export interface LimboPeerName {
  kind: 'DNS' | 'IP' | 'RFC822';
  value: string;
}

/** The fields of an x509-limbo testcase we use (see limbo's schema for the rest). */
export interface LimboCase {
  id: string;
  features?: string[];
  validation_kind: 'SERVER' | 'CLIENT';
  trusted_certs: string[];
  untrusted_intermediates: string[];
  peer_certificate: string;
  validation_time: string | null;
  signature_algorithms: string[];
  key_usage: string[];
  extended_key_usage: string[];
  expected_result: 'SUCCESS' | 'FAILURE';
  expected_peer_name: LimboPeerName | null;
  expected_peer_names?: LimboPeerName[];
  max_chain_depth: number | null;
  crls: string[];
}

export interface CaseOutcome {
  id: string;
  suite: 'limbo' | 'bettertls';
  expected: 'SUCCESS' | 'FAILURE';
  actual: 'SUCCESS' | 'FAILURE' | 'SKIPPED';
  code?: string;
  message?: string;
  ms: number;
}

/**
 * Limbo leaves validation_time null for cases that are meant to be checked "now"; their
 * certificates are valid for centuries, so a pinned instant keeps the run reproducible.
 */
export const DEFAULT_VALIDATION_TIME = new Date('2026-01-01T00:00:00Z');

const EKU_NAMES: Record<string, string> = {
  serverAuth: 'serverAuth',
  clientAuth: 'clientAuth',
  codeSigning: 'codeSigning',
  emailProtection: 'emailProtection',
  timeStamping: 'timeStamping',
  OCSPSigning: 'ocspSigning',
  anyExtendedKeyUsage: 'any',
};

export function loadLimbo(path: string): LimboCase[] {
  return (JSON.parse(gunzipSync(readFileSync(path)).toString('utf8')) as { testcases: LimboCase[] }).testcases;
}

export function pemToDer(pem: string): Uint8Array {
  const body = pem.replace(/-----(BEGIN|END) [^-]+-----/g, '').replace(/\s+/g, '');
  return new Uint8Array(Buffer.from(body, 'base64'));
}

/** Maps a limbo testcase onto validatePath's input; returns a reason string for cases we cannot express. */
export function toInput(c: LimboCase): PathValidationInput | string {
  if (c.signature_algorithms.length > 0) return 'signature_algorithms restriction';
  // validatePath has no mailbox identity option: RFC822 peer names (limbo's CLIENT name-constraint
  // cases) are left unchecked, so those cases exercise the chain and its constraints only.
  const names = [...(c.expected_peer_name ? [c.expected_peer_name] : []), ...(c.expected_peer_names ?? [])];
  const hostnames = names.filter((n) => n.kind !== 'RFC822');
  if (hostnames.length > 1) return 'several expected peer names';
  if (c.extended_key_usage.length > 1) return 'several extended key usages';
  const eku = c.extended_key_usage[0];
  const purpose = eku !== undefined ? EKU_NAMES[eku] : c.validation_kind === 'SERVER' ? 'serverAuth' : 'clientAuth';
  if (purpose === undefined) return `extended key usage ${eku}`;
  return {
    leaf: pemToDer(c.peer_certificate),
    intermediates: c.untrusted_intermediates.map(pemToDer),
    trustAnchors: c.trusted_certs.map(pemToDer),
    crls: c.crls.map(pemToDer),
    at: c.validation_time ? new Date(c.validation_time) : DEFAULT_VALIDATION_TIME,
    purpose,
    keyUsage: c.key_usage.length > 0 ? c.key_usage : undefined,
    hostname: hostnames[0]?.value,
    maxDepth: c.max_chain_depth ?? undefined,
  };
}

export function runCase(c: LimboCase): CaseOutcome {
  const suite = c.id.startsWith('bettertls::') ? 'bettertls' : 'limbo';
  const input = toInput(c);
  if (typeof input === 'string') return { id: c.id, suite, expected: c.expected_result, actual: 'SKIPPED', message: input, ms: 0 };
  const t0 = performance.now();
  const r: PathValidationResult = validatePath(input);
  const ms = performance.now() - t0;
  return r.ok
    ? { id: c.id, suite, expected: c.expected_result, actual: 'SUCCESS', ms }
    : { id: c.id, suite, expected: c.expected_result, actual: 'FAILURE', code: r.code, message: r.message, ms };
}

export interface Agreement {
  run: number;
  agree: number;
  skipped: number;
}

export function agreement(outcomes: readonly CaseOutcome[], filter: (o: CaseOutcome) => boolean): Agreement {
  const sel = outcomes.filter(filter);
  const run = sel.filter((o) => o.actual !== 'SKIPPED');
  return { run: run.length, agree: run.filter((o) => o.actual === o.expected).length, skipped: sel.length - run.length };
}
