import type { z } from 'zod';
import { reject } from '../bundle-rejection.js';

/** Largest JSON payload file read whole (reports, requests, renewal index); metrics stream instead. */
export const MAX_JSON_PAYLOAD_BYTES = 64 * 1024 * 1024;

export const SLUG = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
export const HEX64 = /^[0-9a-f]{64}$/;
export const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?Z$/;

/** Parses a JSON payload file strictly against its zod schema; a failure names the file and the path. */
export function parseJsonPayload<T extends z.ZodType>(name: string, bytes: Uint8Array, schema: T): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes));
  } catch (e) {
    reject('BUNDLE_PAYLOAD_INVALID', `${name} is not UTF-8 JSON: ${(e as Error).message}`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    reject('BUNDLE_PAYLOAD_INVALID', `${name}: ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
  }
  return r.data;
}
