import type { KeyObject } from 'node:crypto';
import { bytesEqual } from './der.js';
import type { ParsedCertificate } from './parsed-certificate.js';
import { failure, type PathFailure } from './path-failure.js';
import { verifySignature, type SignatureCheck } from './signature.js';

/**
 * Work bounds for one validation call. Go's verifier stops after 100 signature checks; we allow a
 * little more because cross-signed hierarchies (BetterTLS pathbuilding) legitimately need it.
 */
export const DEFAULT_SIGNATURE_BUDGET = 256;
export const DEFAULT_STEP_BUDGET = 4096;

export interface PathSearch {
  readonly leaf: ParsedCertificate;
  readonly anchors: readonly ParsedCertificate[];
  readonly intermediates: readonly ParsedCertificate[];
  /** Maximum number of intermediates between the leaf and the anchor. */
  readonly maxDepth: number;
  /** Checks of one certificate used as an issuer (cached by the caller). */
  issuerFailure(cert: ParsedCertificate, isAnchor: boolean): PathFailure | null;
  /** Checks of a complete candidate chain (leaf … anchor). */
  chainFailure(chain: readonly ParsedCertificate[]): PathFailure | null;
  signatureBudget?: number;
  stepBudget?: number;
}

export type PathSearchResult = { ok: true; chain: ParsedCertificate[] } | PathFailure;

/** How far a failed attempt got; the attempt that got furthest explains the failure best. */
const Stage = {
  NoIssuer: 0,
  Rejected: 1, // signature mismatch, loop, depth
  IssuerUnusable: 2,
  ChainRejected: 3,
} as const;
type Stage = (typeof Stage)[keyof typeof Stage];

/**
 * maxDepth counts logical intermediates: self-issued ones (key rollover) do not count, as for
 * pathLenConstraint. A hard cap on all intermediates keeps self-issued runs finite.
 */
function tooDeep(intermediates: readonly ParsedCertificate[], maxDepth: number): boolean {
  if (intermediates.length > maxDepth + SELF_ISSUED_ALLOWANCE) return true;
  return intermediates.filter((c) => !c.selfIssued).length > maxDepth;
}
const SELF_ISSUED_ALLOWANCE = 4;

function indexBySubject(certs: readonly ParsedCertificate[]): Map<string, ParsedCertificate[]> {
  const m = new Map<string, ParsedCertificate[]>();
  for (const c of certs) {
    const list = m.get(c.subject.key);
    if (list) list.push(c);
    else m.set(c.subject.key, [c]);
  }
  return m;
}

/** Candidates whose subjectKeyIdentifier matches the child's authorityKeyIdentifier come first. */
function akiRank(child: ParsedCertificate, candidate: ParsedCertificate): number {
  const aki = child.ext.authorityKeyId?.keyId;
  const ski = candidate.ext.subjectKeyId;
  if (!aki || !ski) return 1;
  return bytesEqual(aki, ski) ? 0 : 2;
}

/**
 * Depth-first search from the leaf towards any trust anchor, trying every candidate issuer (by
 * name, ordered by key identifier), never reusing a CA (same subject and key) within one path,
 * and giving up when the signature or step budget runs out, so certificate cycles terminate.
 */
export function searchPaths(search: PathSearch): PathSearchResult {
  const anchorSet = new Set(search.anchors);
  const intermediates = search.intermediates.filter((i) => !search.anchors.some((a) => bytesEqual(a.der, i.der)));
  const anchorsBySubject = indexBySubject(search.anchors);
  const intermediatesBySubject = indexBySubject(intermediates);
  const signatures = new Map<ParsedCertificate, Map<ParsedCertificate, SignatureCheck>>();
  let signatureBudget = search.signatureBudget ?? DEFAULT_SIGNATURE_BUDGET;
  let stepBudget = search.stepBudget ?? DEFAULT_STEP_BUDGET;
  let exhausted = false;
  let best: { stage: Stage; failure: PathFailure } | null = null;

  const record = (stage: Stage, f: PathFailure) => {
    if (!best || stage > best.stage) best = { stage, failure: f };
  };

  const signedBy = (child: ParsedCertificate, parent: ParsedCertificate, key: KeyObject) => {
    let byParent = signatures.get(child);
    if (!byParent) signatures.set(child, (byParent = new Map()));
    let check = byParent.get(parent);
    if (!check) {
      signatureBudget--;
      check = verifySignature(child.tbs, child.signatureAlgorithm, child.signature, key);
      byParent.set(parent, check);
    }
    return check;
  };

  const candidatesFor = (cert: ParsedCertificate): ParsedCertificate[] => {
    const found = [...(anchorsBySubject.get(cert.issuer.key) ?? []), ...(intermediatesBySubject.get(cert.issuer.key) ?? [])];
    return found
      .map((c, i) => ({ c, rank: (anchorSet.has(c) ? 0 : 10) + akiRank(cert, c), i }))
      .sort((a, b) => a.rank - b.rank || a.i - b.i)
      .map((x) => x.c);
  };

  const extend = (chain: ParsedCertificate[]): ParsedCertificate[] | null => {
    const current = chain[chain.length - 1];
    const candidates = candidatesFor(current);
    if (candidates.length === 0 && current.selfIssued) {
      record(Stage.NoIssuer, failure('NO_PATH', `no path to a trust anchor: '${current.label}' is its own issuer (self-signed) but not a trust anchor`, current.label));
      return null;
    }
    if (candidates.length === 0) {
      record(
        Stage.NoIssuer,
        failure('NO_PATH', `no path to a trust anchor: issuer '${current.issuer.text}' of certificate '${current.label}' is neither a trust anchor nor among the intermediates`, current.label),
      );
      return null;
    }
    for (const candidate of candidates) {
      if (--stepBudget < 0 || signatureBudget <= 0) {
        exhausted = true;
        return null;
      }
      if (candidate === current) {
        record(Stage.Rejected, failure('NO_PATH', `no path to a trust anchor: '${current.label}' is its own issuer (self-signed) but not a trust anchor`, current.label));
        continue;
      }
      if (chain.some((c) => c === candidate || c.caIdentity === candidate.caIdentity)) {
        record(Stage.Rejected, failure('NO_PATH', `no path to a trust anchor: issuer candidates of '${current.label}' only lead back into the path (a certificate cycle)`, current.label));
        continue;
      }
      const isAnchor = anchorSet.has(candidate);
      if (!isAnchor && tooDeep([...chain.slice(1), candidate], search.maxDepth)) {
        record(Stage.Rejected, failure('PATH_LENGTH_EXCEEDED', `no path to a trust anchor within ${search.maxDepth} intermediate certificate(s) (maxDepth) from '${search.leaf.label}'`, current.label));
        continue;
      }
      const key = candidate.publicKey();
      if ('error' in key) {
        record(Stage.IssuerUnusable, failure(key.code, `issuer '${candidate.label}' has an unusable key: ${key.error}`, candidate.label));
        continue;
      }
      const sig = signedBy(current, candidate, key.key);
      if (!sig.ok) {
        const code = sig.reason === 'unsupported' ? 'UNSUPPORTED_ALGORITHM' : 'BAD_SIGNATURE';
        const stage = sig.reason === 'unsupported' ? Stage.IssuerUnusable : Stage.Rejected;
        record(stage, failure(code, `certificate '${current.label}' is not validly signed by '${candidate.label}': ${sig.detail}`, current.label));
        continue;
      }
      const unusable = search.issuerFailure(candidate, isAnchor);
      if (unusable) {
        record(Stage.IssuerUnusable, unusable);
        continue;
      }
      const next = [...chain, candidate];
      if (isAnchor) {
        const rejected = search.chainFailure(next);
        if (!rejected) return next;
        record(Stage.ChainRejected, rejected);
        continue;
      }
      const found = extend(next);
      if (found || exhausted) return found;
    }
    return null;
  };

  const chain = extend([search.leaf]);
  if (chain) return { ok: true, chain };
  const b = best as { stage: Stage; failure: PathFailure } | null;
  if (exhausted && (!b || b.stage < Stage.IssuerUnusable)) {
    return failure('PATH_BUILDING_LIMIT', `gave up building a path for '${search.leaf.label}' after exhausting the work bound (certificate cycles or too many candidates)`, search.leaf.label);
  }
  return b?.failure ?? failure('NO_PATH', `no path to a trust anchor for '${search.leaf.label}'`, search.leaf.label);
}
