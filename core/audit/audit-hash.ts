import { createHash } from 'node:crypto';
import { canonicalJson } from './canonical-json.js';

/** prev_hash of entry 1. */
export const GENESIS_HASH = '0'.repeat(64);

export function sha256Hex(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Input name → SHA-256 hex of its canonical bytes: UTF-8 for text, the bytes themselves, canonical JSON for data. */
export function hashInputs(inputs: Record<string, string | Uint8Array | object> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(inputs ?? {})) {
    if (value === undefined) continue;
    if (typeof value === 'string') out[name] = sha256Hex(Buffer.from(value, 'utf8'));
    else if (value instanceof Uint8Array) out[name] = sha256Hex(value);
    else out[name] = sha256Hex(Buffer.from(canonicalJson(value), 'utf8'));
  }
  return out;
}

/** The fields an entry's hash covers. inputs and details are parsed JSON values. */
export interface HashedFields {
  seq: number;
  at: string;
  actor: string;
  role: string | null;
  action: string;
  inputs: unknown;
  outcome: string;
  details: unknown;
  prevHash: string;
}

/** SHA-256 hex of the canonical JSON of the entry, with prev_hash inside it so each entry seals the one before. */
export function entryHash(f: HashedFields): string {
  return sha256Hex(
    canonicalJson({
      seq: f.seq,
      at: f.at,
      actor: f.actor,
      role: f.role,
      action: f.action,
      inputs: f.inputs,
      outcome: f.outcome,
      details: f.details,
      prev_hash: f.prevHash,
    }),
  );
}

/**
 * What the head signature covers. It differs from an entry's signed bytes (a bare 32-byte hash),
 * so an entry's signature can never pass as a head for an earlier point in the trail.
 */
export function headMessage(seq: number, hash: string): Buffer {
  return Buffer.from(`coldroot-audit-head/v1\n${seq}\n${hash}`, 'utf8');
}
