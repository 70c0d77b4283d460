/** What a caller records. Secrets are never passed: inputs are hashed, and only the hashes are kept. */
export interface AuditEntryInput {
  actor: string;
  role?: string | null;
  /** Dotted, lower-case verb phrase, e.g. 'ca.create-root'. */
  action: string;
  /** Input name → the input (text, bytes or plain data); stored as SHA-256 hex of its canonical bytes. */
  inputs?: Record<string, string | Uint8Array | object>;
  /** 'ok' or the error code the operation ended with. */
  outcome?: string;
  /** Small plain data that identifies what changed, e.g. { caId, serial }. */
  details?: object;
}

export interface AuditRecord {
  seq: number;
  at: string;
  actor: string;
  role: string | null;
  action: string;
  inputs: Record<string, string>;
  outcome: string;
  details: Record<string, unknown>;
  prevHash: string;
  hash: string;
  /** Ed25519 over the 32 bytes of `hash`, base64. */
  signature: string;
}

export interface AuditHead {
  seq: number;
  hash: string;
  /** Ed25519 over headMessage(seq, hash), base64. */
  signature: string;
}

export type AuditProblem = 'edited' | 'removed' | 'reordered' | 'bad-signature' | 'truncated' | 'head-signature';

export type AuditVerifyReport =
  | { ok: true; entries: number; head: { seq: number; hash: string }; keyFingerprint: string }
  | { ok: false; entries: number; firstBadSeq: number; problem: AuditProblem; message: string };

export interface AuditListFilter {
  action?: string;
  actor?: string;
  /** ISO date-time; entries at or after it. */
  since?: string;
  /** Default 100, at most 10,000. */
  limit?: number;
  offset?: number;
  /** By seq; default 'asc'. */
  order?: 'asc' | 'desc';
}
