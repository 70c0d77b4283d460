import { verify as verifySignature } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';
import { entryHash, GENESIS_HASH, headMessage } from './audit-hash.js';
import type { AuditPublicKey } from './audit-key.js';
import type { AuditHead, AuditProblem, AuditVerifyReport } from './audit-types.js';

/** An entry as stored: inputs and details are their canonical JSON text. */
export interface StoredEntry {
  seq: number;
  at: string;
  actor: string;
  role: string | null;
  action: string;
  inputs: string;
  outcome: string;
  details: string;
  prevHash: string;
  hash: string;
  signature: string;
}

export interface ChainSource {
  /** Entries in the order the source holds them (by seq). May be called twice. */
  entries(): Iterable<StoredEntry>;
  head: AuditHead | null;
  publicKey: AuditPublicKey | null;
}

interface Failure {
  seq: number;
  problem: AuditProblem;
  message: string;
  /** The hash did not match: 'edited', unless the contents belong elsewhere (see explainMismatch). */
  row?: StoredEntry;
  /** Seqs skipped at this point: 'removed', unless they turn up further on (an export's lines moved). */
  gap?: { from: number; to: number; found: number };
}

/**
 * Walks the chain once (again only to explain a failure), stopping at the first entry that is
 * wrong, and says what is wrong with it: checks run in the order seq continuity → contents vs hash → signature → link to the entry
 * before, then the signed head against the last entry.
 */
export function verifyChain(source: ChainSource): AuditVerifyReport {
  const pub = source.publicKey;
  if (!pub) {
    return fail(0, { seq: 1, problem: 'bad-signature', message: "the audit public key is missing from the home's meta table, so no signature can be checked" });
  }
  let count = 0;
  let last = { seq: 0, hash: GENESIS_HASH };
  let failure: Failure | null = null;
  for (const e of source.entries()) {
    count++;
    if (failure) continue; // keep counting
    failure = checkEntry(e, last, pub);
    if (!failure) last = { seq: e.seq, hash: e.hash };
  }
  if (failure) {
    if (failure.gap) {
      const { from, to, found } = failure.gap;
      for (const e of source.entries()) {
        if (e.seq >= from && e.seq <= to) {
          failure = { seq: from, problem: 'reordered', message: `entry ${found} is out of order: it comes where entry ${from} belongs` };
          break;
        }
      }
    }
    if (failure.row) failure = explainMismatch(failure.row, last, source) ?? failure;
    return fail(count, failure);
  }
  const headFailure = checkHead(source.head, last, pub);
  if (headFailure) return fail(count, headFailure);
  return { ok: true, entries: count, head: last, keyFingerprint: pub.fingerprint };
}

function checkEntry(e: StoredEntry, last: { seq: number; hash: string }, pub: AuditPublicKey): Failure | null {
  const expected = last.seq + 1;
  if (e.seq > expected) {
    const missing = e.seq - expected === 1 ? `entry ${expected} is missing` : `entries ${expected}–${e.seq - 1} are missing`;
    const context = last.seq === 0 ? `the trail starts at entry ${e.seq}` : `entry ${e.seq} follows entry ${last.seq}`;
    return { seq: expected, problem: 'removed', message: `${missing}: ${context}`, gap: { from: expected, to: e.seq - 1, found: e.seq } };
  }
  if (e.seq < expected) {
    return { seq: e.seq, problem: 'reordered', message: `entry ${e.seq} is out of order: it comes after entry ${last.seq}` };
  }
  const inputs = parseCanonical(e.inputs);
  const details = parseCanonical(e.details);
  if (inputs === undefined || details === undefined) {
    return { seq: e.seq, problem: 'edited', message: `entry ${e.seq} was edited: its ${inputs === undefined ? 'inputs' : 'details'} are not the JSON that was sealed` };
  }
  const recomputed = entryHash({ ...e, inputs: inputs.value, details: details.value });
  if (recomputed !== e.hash) {
    return { seq: e.seq, problem: 'edited', message: `entry ${e.seq} was edited: its hash does not match its contents`, row: e };
  }
  if (!signatureValid(Buffer.from(e.hash, 'hex'), e.signature, pub)) {
    return { seq: e.seq, problem: 'bad-signature', message: `entry ${e.seq} has a bad signature: it was not sealed by this home's audit key (${pub.fingerprint})` };
  }
  if (e.prevHash !== last.hash) {
    const before = last.seq === 0 ? 'the start of the trail' : `entry ${last.seq}`;
    return { seq: e.seq, problem: 'reordered', message: `entry ${e.seq} does not follow ${before}: it was sealed after a different entry` };
  }
  return null;
}

function checkHead(head: AuditHead | null, last: { seq: number; hash: string }, pub: AuditPublicKey): Failure | null {
  if (!head) {
    if (last.seq === 0) return null;
    return { seq: last.seq, problem: 'head-signature', message: `the signed head record is missing, so entries after ${last.seq} may have been removed` };
  }
  if (!signatureValid(headMessage(head.seq, head.hash), head.signature, pub)) {
    return { seq: Math.max(1, Math.min(head.seq, last.seq)), problem: 'head-signature', message: `the head record (seq ${head.seq}) has a bad signature: it was not signed by this home's audit key` };
  }
  if (head.seq > last.seq) {
    const what = last.seq === 0 ? `all ${head.seq} entries were removed` : `entries after ${last.seq} were removed`;
    return { seq: last.seq + 1, problem: 'truncated', message: `${what}: the signed head says ${head.seq}` };
  }
  if (head.seq < last.seq) {
    return { seq: head.seq + 1, problem: 'head-signature', message: `entries after ${head.seq} are not covered by the signed head: it says ${head.seq}, the trail ends at ${last.seq}` };
  }
  if (head.hash !== last.hash) {
    return { seq: last.seq, problem: 'edited', message: `entry ${last.seq} is not the entry the signed head names` };
  }
  return null;
}

/**
 * A row whose contents do not hash under its own seq may be a genuine entry in the wrong place.
 * If its contents were sealed under another seq, it was moved: 'reordered' when the true
 * successor of the last good entry is still somewhere in the trail, 'removed' when it is gone
 * (entries deleted and the later ones renumbered). Only runs after a mismatch.
 */
function explainMismatch(row: StoredEntry, last: { seq: number; hash: string }, source: ChainSource): Failure | null {
  const byPrev = new Map<string, StoredEntry>();
  let maxSeq = 0;
  let n = 0;
  for (const e of source.entries()) {
    if (!byPrev.has(e.prevHash)) byPrev.set(e.prevHash, e);
    maxSeq = Math.max(maxSeq, e.seq);
    n++;
  }
  const q = sealedAs(row, byPrev, Math.max(maxSeq, source.head?.seq ?? 0) + n);
  if (q === null) return null;
  const successor = byPrev.get(last.hash);
  if (successor && successor.seq !== row.seq) {
    return { seq: row.seq, problem: 'reordered', message: `entry ${row.seq} is out of order: it holds the contents of entry ${q}` };
  }
  if (q > row.seq) {
    const missing = q - last.seq === 2 ? `entry ${last.seq + 1} is missing` : `entries ${last.seq + 1}–${q - 1} are missing`;
    const context = last.seq === 0 ? `the trail starts at entry ${q}` : `entry ${q} follows entry ${last.seq}`;
    return { seq: row.seq, problem: 'removed', message: `${missing}: ${context}, renumbered as ${row.seq}` };
  }
  return { seq: row.seq, problem: 'reordered', message: `entry ${row.seq} is out of order: it holds the contents of entry ${q}` };
}

/** The seq the row's contents were sealed under: found by following prev_hash links, else by trying each seq up to `bound`. */
function sealedAs(row: StoredEntry, byPrev: Map<string, StoredEntry>, bound: number): number | null {
  const inputs = parseCanonical(row.inputs);
  const details = parseCanonical(row.details);
  if (!inputs || !details) return null;
  const sealsAs = (q: number) => entryHash({ ...row, seq: q, inputs: inputs.value, details: details.value }) === row.hash;
  let cursor = GENESIS_HASH;
  for (let q = 1; q <= byPrev.size; q++) {
    const next = byPrev.get(cursor);
    if (!next) break;
    if (next.seq === row.seq && next.hash === row.hash) {
      if (sealsAs(q)) return q;
      break;
    }
    cursor = next.hash;
  }
  for (let q = 1; q <= bound; q++) if (q !== row.seq && sealsAs(q)) return q;
  return null;
}

function parseCanonical(text: string): { value: unknown } | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return canonicalJson(value) === text ? { value } : undefined;
  } catch {
    return undefined;
  }
}

function signatureValid(message: Buffer, signatureB64: string, pub: AuditPublicKey): boolean {
  const sig = Buffer.from(signatureB64, 'base64');
  // Buffer's base64 decoder skips junk characters; only the exact encoding counts as unaltered.
  if (sig.length !== 64 || sig.toString('base64') !== signatureB64) return false;
  try {
    return verifySignature(null, message, pub.key, sig);
  } catch {
    return false;
  }
}

function fail(entries: number, f: Failure): AuditVerifyReport {
  return { ok: false, entries, firstBadSeq: f.seq, problem: f.problem, message: f.message };
}
