import { searchPaths } from './build-paths.js';
import { certificateFailure } from './certificate-checks.js';
import { bytesEqual } from './der.js';
import { hostnameMismatch } from './hostname.js';
import { leafKeyUsageFailure, leafPurposeFailure, resolveKeyUsage, resolvePurpose } from './key-purpose.js';
import { ParsedCertificate } from './parsed-certificate.js';
import { ParsedCrl } from './parsed-crl.js';
import { failure, type PathFailure } from './path-failure.js';
import { chainFailure, type ChainRules } from './validate-chain.js';

export interface PathValidationInput {
  /** DER certificate to validate. */
  leaf: Uint8Array;
  /** Untrusted candidate intermediates, DER, in any order. */
  intermediates?: Uint8Array[];
  /** Trusted certificates, DER: self-signed roots or any certificate trusted directly. */
  trustAnchors: Uint8Array[];
  /** DER CRLs; when one is given for an issuer, certificates of that issuer are checked against it. */
  crls?: Uint8Array[];
  /** Validation time. */
  at: Date;
  /** Required extended key usage: a name or a dotted OID; 'any' or unset checks none. */
  purpose?: 'serverAuth' | 'clientAuth' | 'codeSigning' | 'ocspSigning' | 'any' | string;
  /** Key usage bits the leaf must allow when it has a keyUsage extension, e.g. ['digitalSignature']. */
  keyUsage?: string[];
  /** DNS name or IP literal the leaf's subjectAltName must match. */
  hostname?: string;
  /** Maximum number of intermediates between leaf and anchor (default DEFAULT_MAX_DEPTH). */
  maxDepth?: number;
  /** Fail when no CRL covers a certificate of the chain (default: check only where a CRL is supplied). */
  requireCrl?: boolean;
}

export type PathValidationResult =
  | { ok: true; chain: Uint8Array[] /* leaf … anchor */ }
  | { ok: false; code: string; message: string; certificate?: string /* subject of the offending cert */ };

/** Real hierarchies are 1–3 intermediates deep; 8 leaves room for cross-signing. */
export const DEFAULT_MAX_DEPTH = 8;

function inputFailure(input: PathValidationInput): PathFailure | null {
  if (!(input.leaf instanceof Uint8Array)) return failure('INVALID_INPUT', 'leaf must be DER bytes (Uint8Array)');
  if (!Array.isArray(input.trustAnchors)) return failure('INVALID_INPUT', 'trustAnchors must be an array of DER certificates');
  if (!(input.at instanceof Date) || Number.isNaN(input.at.getTime())) return failure('INVALID_INPUT', 'at must be a valid Date');
  const md = input.maxDepth;
  if (md !== undefined && (!Number.isInteger(md) || md < 0)) return failure('INVALID_INPUT', `maxDepth must be a non-negative integer, got ${md}`);
  return null;
}

function parseAll(ders: readonly Uint8Array[] | undefined): { certs: ParsedCertificate[]; undecodable: number } {
  const certs: ParsedCertificate[] = [];
  let undecodable = 0;
  for (const der of ders ?? []) {
    try {
      certs.push(ParsedCertificate.parse(der));
    } catch {
      undecodable++; // an undecodable candidate cannot be part of a path; it is only reported if no path is found
    }
  }
  return { certs, undecodable };
}

function validate(input: PathValidationInput): PathValidationResult {
  const bad = inputFailure(input);
  if (bad) return bad;
  const purpose = resolvePurpose(input.purpose);
  if ('error' in purpose) return failure('INVALID_INPUT', purpose.error);
  const keyUsage = resolveKeyUsage(input.keyUsage);
  if ('error' in keyUsage) return failure('INVALID_INPUT', keyUsage.error);

  let leaf: ParsedCertificate;
  try {
    leaf = ParsedCertificate.parse(input.leaf);
  } catch (e) {
    return failure('MALFORMED', `leaf certificate cannot be decoded: ${(e as Error).message}`);
  }
  const crls: ParsedCrl[] = [];
  for (const [i, der] of (input.crls ?? []).entries()) {
    try {
      crls.push(ParsedCrl.parse(der));
    } catch (e) {
      return failure('MALFORMED', `CRL #${i + 1} cannot be decoded: ${(e as Error).message}`);
    }
  }
  const at = input.at;
  const leafProblem =
    certificateFailure(leaf, at, 'leaf') ??
    leafKeyUsageFailure(leaf, keyUsage.bits) ??
    leafPurposeFailure(leaf, purpose.oid);
  if (leafProblem) return leafProblem;
  if (input.hostname !== undefined) {
    const mismatch = hostnameMismatch(input.hostname, leaf.ext.subjectAltNames);
    if (mismatch) return failure('HOSTNAME_MISMATCH', `certificate '${leaf.label}' ${mismatch}`, leaf.label);
  }

  const anchors = parseAll(input.trustAnchors);
  const intermediates = parseAll(input.intermediates);
  const rules: ChainRules = {
    purposeOid: purpose.oid,
    revocation: { crls, at, requireCrl: input.requireCrl === true, checked: new Map() },
  };
  if (anchors.certs.some((a) => bytesEqual(a.der, leaf.der))) {
    const trustedLeaf = chainFailure([leaf], rules);
    if (!trustedLeaf) return { ok: true, chain: [input.leaf] };
  }

  const issuerChecks = new Map<ParsedCertificate, PathFailure | null>();
  const result = searchPaths({
    leaf,
    anchors: anchors.certs,
    intermediates: intermediates.certs,
    maxDepth: input.maxDepth ?? DEFAULT_MAX_DEPTH,
    issuerFailure: (cert, isAnchor) => {
      if (!issuerChecks.has(cert)) issuerChecks.set(cert, certificateFailure(cert, at, isAnchor ? 'anchor' : 'issuer'));
      return issuerChecks.get(cert)!;
    },
    chainFailure: (chain) => chainFailure(chain, rules),
  });
  if (result.ok) return { ok: true, chain: result.chain.map((c) => c.der) };
  const ignored = anchors.undecodable + intermediates.undecodable;
  if (result.code === 'NO_PATH' && ignored > 0) {
    return { ...result, message: `${result.message} (${ignored} supplied certificate(s) could not be decoded and were ignored)` };
  }
  return result;
}

/**
 * Validates a certification path for `input.leaf` per RFC 5280 §6 (see README.md in this folder
 * for the profile and the choices made). Synchronous; never throws: every problem, including
 * undecodable input, is returned as { ok: false, code, message }.
 */
export function validatePath(input: PathValidationInput): PathValidationResult {
  try {
    return validate(input);
  } catch (e) {
    return failure('MALFORMED', `validation stopped on undecodable input: ${(e as Error).message}`);
  }
}
