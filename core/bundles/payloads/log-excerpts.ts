import { gunzipSync } from 'node:zlib';
import { z } from 'zod';
import { reject } from '../bundle-rejection.js';
import { ISO_UTC } from './json-payload.js';
import { HOST } from './metrics-fields.js';

/**
 * coldroot.log-excerpts.v1: application log lines an agent in investigation mode sends beside its
 * metrics (log-excerpts.ndjson.gz, at most one per metrics bundle): gzip of JSON Lines
 * {host, time, source, line}. Small by construction, so it is read whole within fixed bounds.
 */
export const LOG_EXCERPTS_SCHEMA_V1 = 'coldroot.log-excerpts.v1';
export const LOG_EXCERPTS_FILE = 'log-excerpts.ndjson.gz';

export const MAX_LOG_EXCERPTS_COMPRESSED_BYTES = 16 * 1024 * 1024;
export const MAX_LOG_EXCERPTS_BYTES = 64 * 1024 * 1024;
export const MAX_LOG_EXCERPT_LINES = 100_000;
/** Characters of one excerpted log line; producers cut longer lines. */
export const MAX_LOG_EXCERPT_CHARS = 8192;

export const LogExcerptSchema = z.strictObject({
  host: z.string().regex(HOST),
  /** When the agent read the line (the log's own timestamp format varies). */
  time: z.string().regex(ISO_UTC),
  /** The log file it came from. */
  source: z.string().min(1).max(4096),
  line: z.string().max(MAX_LOG_EXCERPT_CHARS),
});
export type LogExcerpt = z.infer<typeof LogExcerptSchema>;

/** Checks a whole log-excerpts file; each excerpt goes to `onExcerpt`. Returns the number of lines. */
export function readLogExcerpts(name: string, compressed: Uint8Array, onExcerpt?: (e: LogExcerpt) => void): number {
  if (compressed.length > MAX_LOG_EXCERPTS_COMPRESSED_BYTES) reject('BUNDLE_ENTRY_TOO_LARGE', `${name} is ${compressed.length} bytes; the limit is ${MAX_LOG_EXCERPTS_COMPRESSED_BYTES}`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(gunzipSync(compressed, { maxOutputLength: MAX_LOG_EXCERPTS_BYTES }));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') reject('BUNDLE_DECOMPRESSED_TOO_LARGE', `${name} decompresses to more than ${MAX_LOG_EXCERPTS_BYTES} bytes`);
    reject('BUNDLE_PAYLOAD_INVALID', `${name} is not gzip of UTF-8 text: ${(e as Error).message}`);
  }
  if (text === '') return 0;
  if (!text.endsWith('\n')) reject('BUNDLE_PAYLOAD_INVALID', `${name}: the last line does not end with a newline`);
  const lines = text.slice(0, -1).split('\n');
  if (lines.length > MAX_LOG_EXCERPT_LINES) reject('BUNDLE_PAYLOAD_INVALID', `${name} holds ${lines.length} lines; the limit is ${MAX_LOG_EXCERPT_LINES}`);
  for (const [i, l] of lines.entries()) {
    let v: unknown;
    try {
      v = JSON.parse(l);
    } catch (e) {
      reject('BUNDLE_PAYLOAD_INVALID', `${name} line ${i + 1}: not JSON (${(e as Error).message})`);
    }
    const r = LogExcerptSchema.safeParse(v);
    if (!r.success) {
      const issue = r.error.issues[0];
      reject('BUNDLE_PAYLOAD_INVALID', `${name} line ${i + 1}: ${issue.path.length ? issue.path.join('.') : '(top level)'}: ${issue.message}`);
    }
    onExcerpt?.(r.data);
  }
  return lines.length;
}
