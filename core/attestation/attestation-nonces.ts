import { randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { OperationContext } from '../ca/operation-context.js';
import { HOST } from '../bundles/payloads/metrics-fields.js';
import { ColdrootError } from '../errors.js';

/**
 * How long a nonce stays usable. It should outlast the time a host may stay unreachable, since the
 * agent keeps the newest one for a recovery that may come long after the renewal that carried it.
 */
export const DEFAULT_NONCE_TTL_DAYS = 400;

export interface AttestationNonce {
  /** 32 random bytes, hex. */
  nonce: string;
  host: string;
  issuedAt: string;
  expiresAt: string;
}

/** A fresh nonce (not stored yet: renewal export stores it in the transaction that records the bundle). */
export function newAttestationNonce(host: string, now: Date, ttlDays = DEFAULT_NONCE_TTL_DAYS): AttestationNonce {
  if (!HOST.test(host)) throw new ColdrootError('HOST_INVALID', `'${host}' is not a host name`, 'Give the host name the agent reports (letters, digits, dots, hyphens)');
  if (!Number.isInteger(ttlDays) || ttlDays < 1 || ttlDays > 3650) throw new ColdrootError('NONCE_TTL_INVALID', `A nonce lifetime of ${ttlDays} days is out of range`, 'Give a whole number of days between 1 and 3650');
  return { nonce: randomBytes(32).toString('hex'), host, issuedAt: now.toISOString(), expiresAt: new Date(now.getTime() + ttlDays * 86_400_000).toISOString() };
}

export function storeAttestationNonce(db: Database.Database, n: AttestationNonce): void {
  db.prepare('INSERT INTO attestation_nonces (nonce, host, issued_at, expires_at) VALUES (?, ?, ?, ?)').run(n.nonce, n.host, n.issuedAt, n.expiresAt);
}

/** Issues and stores a single-use nonce for `host`'s next TPM quote (one transaction, one audit entry). */
export function issueAttestationNonce(ctx: OperationContext, host: string, opts: { ttlDays?: number } = {}): AttestationNonce {
  const now = ctx.now();
  const n = newAttestationNonce(host, now, opts.ttlDays);
  ctx.store.transaction(() => {
    storeAttestationNonce(ctx.store.db, n);
    ctx.store.audit.append({ actor: ctx.operator, role: ctx.role ?? null, action: 'tpm.nonce.issue', outcome: 'ok', details: { host, nonce: n.nonce, expiresAt: n.expiresAt } }, now);
  });
  return n;
}

export interface StoredNonce extends AttestationNonce {
  usedAt: string | null;
  usedByRequest: string | null;
}

export function findAttestationNonce(db: Database.Database, nonce: string): StoredNonce | null {
  return (db.prepare('SELECT nonce, host, issued_at AS issuedAt, expires_at AS expiresAt, used_at AS usedAt, used_by_request AS usedByRequest FROM attestation_nonces WHERE nonce = ?').get(nonce) as StoredNonce | undefined) ?? null;
}

/** Marks a nonce used; returns false when another use got there first (the caller's transaction then rolls back). */
export function consumeAttestationNonce(db: Database.Database, nonce: string, use: { at: Date; bundleRowId: number; requestId: string }): boolean {
  return db.prepare('UPDATE attestation_nonces SET used_at = ?, used_by_bundle = ?, used_by_request = ? WHERE nonce = ? AND used_at IS NULL')
    .run(use.at.toISOString(), use.bundleRowId, use.requestId, nonce).changes === 1;
}
