import { closeSync, existsSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import type { OperationContext } from '../ca/operation-context.js';
import { QUARANTINE_DIR } from '../bundles/quarantine.js';

/**
 * The console's renewal counters, derived from what it already stores (nothing is counted twice
 * or kept apart from the record): requests from accepted renewal-request bundles are in
 * renewal_requests with their answer status; renewal-request bundles the console refused are in
 * the quarantine folder, whose copies still say (unverified) what they claimed to be.
 */
export interface RenewalCounters {
  /** Requests that reached the console: validated plus those in rejected bundles. */
  received: number;
  /** Requests accepted into the inventory (their bundle passed every check). */
  validated: number;
  /** Validated requests answered with a certificate. */
  issued: number;
  /** Validated requests still waiting for an answer. */
  pending: number;
  /** Requests refused: answered as rejected, or carried by a rejected (quarantined) bundle. */
  rejected: number;
  rejectedAnswered: number;
  rejectedInQuarantine: number;
  bundles: { imported: number; quarantined: number };
  /** Rejection codes of answered requests with their counts. */
  rejectionCodes: Record<string, number>;
  byProof: Record<string, number>;
  lastReceivedAt: string | null;
}

const BLOCK = 512;
const MAX_MANIFEST = 4 * 1024 * 1024;

function octal(header: Buffer, offset: number, length: number): number {
  const text = header.subarray(offset, offset + length).toString('latin1').replace(/\0.*$/s, '').trim();
  return /^[0-7]+$/.test(text) ? parseInt(text, 8) : -1;
}

/** What a quarantined copy claims in its manifest.json: type and declared request count; null when unreadable (not a bundle). */
export function quarantinedClaim(path: string): { type: string; records: number } | null {
  const fd = openSync(path, 'r');
  try {
    const header = Buffer.alloc(BLOCK);
    if (readSync(fd, header, 0, BLOCK, 0) !== BLOCK) return null;
    const name = header.subarray(0, 100).toString('latin1').replace(/\0.*$/s, '');
    const size = octal(header, 124, 12);
    if (name !== 'manifest.json' || size < 0 || size > MAX_MANIFEST) return null;
    const body = Buffer.alloc(size);
    if (readSync(fd, body, 0, size, BLOCK) !== size) return null;
    const m = JSON.parse(body.toString('utf8')) as { type?: unknown; files?: Array<{ records?: unknown }> };
    if (typeof m.type !== 'string') return null;
    const declared = Array.isArray(m.files) ? m.files.reduce((a, f) => a + (Number.isSafeInteger(f?.records) ? (f.records as number) : 0), 0) : 0;
    // A bundle refused before its requests could be counted still stood for at least one request.
    return { type: m.type, records: Math.max(1, declared) };
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}

export function renewalCounters(ctx: OperationContext): RenewalCounters {
  const db = ctx.store.db;
  const byStatus = db.prepare('SELECT status, count(*) AS n FROM renewal_requests GROUP BY status').all() as Array<{ status: string; n: number }>;
  const count = (s: string) => byStatus.find((r) => r.status === s)?.n ?? 0;
  const codes = db.prepare("SELECT coalesce(rejection_code, 'UNKNOWN') AS code, count(*) AS n FROM renewal_requests WHERE status = 'rejected' GROUP BY 1 ORDER BY 1").all() as Array<{ code: string; n: number }>;
  const proofs = db.prepare('SELECT proof_kind AS kind, count(*) AS n FROM renewal_requests GROUP BY 1 ORDER BY 1').all() as Array<{ kind: string; n: number }>;
  const imported = db.prepare("SELECT count(*) AS n, max(processed_at) AS last FROM bundles WHERE type = 'renewal-request' AND direction = 'import'").get() as { n: number; last: string | null };
  let quarantined = 0;
  let inQuarantine = 0;
  const dir = join(ctx.store.home, QUARANTINE_DIR);
  if (existsSync(dir)) {
    for (const f of readdirSync(dir)) {
      if (!f.endsWith('.bundle')) continue;
      const claim = quarantinedClaim(join(dir, f));
      if (claim?.type !== 'renewal-request') continue;
      quarantined++;
      inQuarantine += claim.records;
    }
  }
  const validated = byStatus.reduce((a, r) => a + r.n, 0);
  return {
    received: validated + inQuarantine,
    validated,
    issued: count('issued'),
    pending: count('pending'),
    rejected: count('rejected') + inQuarantine,
    rejectedAnswered: count('rejected'),
    rejectedInQuarantine: inQuarantine,
    bundles: { imported: imported.n, quarantined },
    rejectionCodes: Object.fromEntries(codes.map((c) => [c.code, c.n])),
    byProof: Object.fromEntries(proofs.map((p) => [p.kind, p.n])),
    lastReceivedAt: imported.last,
  };
}
