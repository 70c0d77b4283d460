import { z } from 'zod';

/** A PIN or passphrase: travels as an input, is never stored, logged or echoed in an error. */
export const Secret = z.string().min(1, 'must not be empty').max(1024);
export const Iso = z.string();
export const Empty = z.strictObject({});
export const CaId = z.string().min(1).max(128);
export const Serial = z.string().min(1).max(80);
export const KEY_ALGORITHMS = ['ecdsa-p256', 'ecdsa-p384', 'rsa-3072', 'rsa-4096', 'ed25519'] as const;
export const KeyAlgorithm = z.enum(KEY_ALGORITHMS);
export const REVOCATION_REASONS = ['unspecified', 'keyCompromise', 'cACompromise', 'affiliationChanged', 'superseded', 'cessationOfOperation', 'certificateHold', 'privilegeWithdrawn', 'aACompromise'] as const;

/** Unlocks an existing key: the passphrase of a software key or the user PIN of its token. */
export const KeySecret = z.strictObject({ passphrase: Secret.optional(), pin: Secret.optional() })
  .refine((s) => s.passphrase !== undefined || s.pin !== undefined, 'give the passphrase or the PIN');

export const Progress = z.object({ done: z.number(), total: z.number(), message: z.string() });
