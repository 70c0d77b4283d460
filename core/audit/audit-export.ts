import fs from 'node:fs';
import { z } from 'zod';
import { ColdrootError } from '../errors.js';
import { verifyChain, type StoredEntry } from './audit-chain.js';
import { publicKeyFromPem, type AuditPublicKey } from './audit-key.js';
import type { AuditHead, AuditVerifyReport } from './audit-types.js';
import { canonicalJson } from './canonical-json.js';

export const AUDIT_EXPORT_FORMAT = 'coldroot-audit-export';
export const AUDIT_EXPORT_VERSION = 1;

const Hex64 = z.string().regex(/^[0-9a-f]{64}$/);
const Head = z.strictObject({ seq: z.int().min(0), hash: Hex64, signature: z.string() });

/** Line 1 of an export. Everything an auditor needs to check the lines after it. */
const Header = z.strictObject({
  format: z.literal(AUDIT_EXPORT_FORMAT),
  version: z.literal(AUDIT_EXPORT_VERSION),
  home: z.string(),
  auditPublicKey: z.string().startsWith('-----BEGIN PUBLIC KEY-----'),
  auditKeyFingerprint: Hex64,
  head: Head.nullable(),
});
export type AuditExportHeader = z.infer<typeof Header>;

/** Lines 2…: one entry each. inputs and details are JSON values (a string if the stored text was not canonical). */
const Line = z.strictObject({
  seq: z.int().min(1),
  at: z.string(),
  actor: z.string(),
  role: z.string().nullable(),
  action: z.string(),
  inputs: z.unknown(),
  outcome: z.string(),
  details: z.unknown(),
  prevHash: z.string(),
  hash: z.string(),
  signature: z.string(),
});

export function exportHeader(home: string, pub: AuditPublicKey, head: AuditHead | null): AuditExportHeader {
  return {
    format: AUDIT_EXPORT_FORMAT,
    version: AUDIT_EXPORT_VERSION,
    home,
    auditPublicKey: pub.pem,
    auditKeyFingerprint: pub.fingerprint,
    head,
  };
}

/** Writes the header and entries as JSON Lines. Never overwrites; a partial file is removed on failure. */
export function writeAuditExport(path: string, header: AuditExportHeader, entries: Iterable<StoredEntry>): { entries: number } {
  let fd: number;
  try {
    fd = fs.openSync(path, 'wx', 0o644);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') {
      throw new ColdrootError('OUTPUT_EXISTS', `The export file ${path} already exists`, 'Choose a new file name; Coldroot never overwrites an export');
    }
    throw new ColdrootError('OUTPUT_UNWRITABLE', `Cannot create the export file ${path}: ${(e as Error).message}`, 'Check that the folder exists and is writable');
  }
  let count = 0;
  try {
    let chunk = `${canonicalJson(header)}\n`;
    for (const e of entries) {
      count++;
      chunk += `${canonicalJson(toLine(e))}\n`;
      if (chunk.length >= 1 << 20) {
        fs.writeSync(fd, chunk);
        chunk = '';
      }
    }
    fs.writeSync(fd, chunk);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  } catch (e) {
    fs.closeSync(fd);
    fs.rmSync(path, { force: true });
    throw e;
  }
  return { entries: count };
}

/**
 * Checks an exported trail on its own, without the home: the chain, every signature and the
 * signed head, against the public key in the header. Pass the fingerprint you hold from a trusted
 * source as `expectedKeyFingerprint`; otherwise a forger could have re-signed with a key of their own.
 */
export function verifyAuditExport(path: string, opts: { expectedKeyFingerprint?: string } = {}): AuditVerifyReport {
  const lines = readLines(path);
  const first = lines.next();
  if (first.done) throw invalid(path, 1, 'the file is empty');
  const header = parseLine(Header, first.value, path, 1);
  let pub: AuditPublicKey;
  try {
    pub = publicKeyFromPem(header.auditPublicKey);
  } catch (e) {
    throw invalid(path, 1, `auditPublicKey is not an Ed25519 public key (${(e as Error).message})`);
  }
  if (pub.fingerprint !== header.auditKeyFingerprint) {
    return keyProblem(`the header's key fingerprint ${header.auditKeyFingerprint} is not that of its public key (${pub.fingerprint})`);
  }
  const expected = opts.expectedKeyFingerprint?.toLowerCase().replace(/:/g, '');
  if (expected !== undefined && expected !== pub.fingerprint) {
    return keyProblem(`the export is signed by audit key ${pub.fingerprint}, not the expected ${expected}`);
  }
  lines.return(undefined);
  return verifyChain({
    head: header.head,
    publicKey: pub,
    entries: () => entriesOf(path),
  });
}

function* entriesOf(path: string): Generator<StoredEntry> {
  let n = 0;
  for (const text of readLines(path)) {
    n++;
    if (n === 1) continue;
    const l = parseLine(Line, text, path, n);
    yield {
      ...l,
      inputs: typeof l.inputs === 'string' ? l.inputs : canonicalJson(l.inputs),
      details: typeof l.details === 'string' ? l.details : canonicalJson(l.details),
    };
  }
}

function toLine(e: StoredEntry): z.infer<typeof Line> {
  return { ...e, inputs: asExported(e.inputs), details: asExported(e.details) };
}

/** The parsed value when the stored text is canonical; otherwise the text itself, so the export shows what is stored. */
function asExported(text: string): unknown {
  try {
    const v: unknown = JSON.parse(text);
    if (typeof v !== 'string' && canonicalJson(v) === text) return v;
  } catch {
    // Not JSON: keep the text.
  }
  return text;
}

function keyProblem(message: string): AuditVerifyReport {
  return { ok: false, entries: 0, firstBadSeq: 1, problem: 'bad-signature', message };
}

function parseLine<T>(schema: z.ZodType<T>, text: string, path: string, line: number): T {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw invalid(path, line, `not JSON (${(e as Error).message})`);
  }
  const r = schema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw invalid(path, line, `${issue.path.join('.') || 'line'}: ${issue.message}`);
  }
  return r.data;
}

function invalid(path: string, line: number, why: string): ColdrootError {
  return new ColdrootError('AUDIT_EXPORT_INVALID', `${path} line ${line}: ${why}`, 'Check that this is an unmodified file written by: coldroot audit export');
}

/** Reads a file line by line without holding it all in memory; skips a final empty line. */
function* readLines(path: string): Generator<string> {
  let fd: number;
  try {
    fd = fs.openSync(path, 'r');
  } catch (e) {
    throw new ColdrootError('AUDIT_EXPORT_UNREADABLE', `Cannot read ${path}: ${(e as Error).message}`, 'Check the path of the export file');
  }
  try {
    const buf = Buffer.alloc(1 << 20);
    let pending = Buffer.alloc(0);
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      let data = Buffer.concat([pending, buf.subarray(0, n)]);
      let nl: number;
      while ((nl = data.indexOf(0x0a)) !== -1) {
        yield data.subarray(0, nl).toString('utf8');
        data = data.subarray(nl + 1);
      }
      pending = Buffer.from(data);
    }
    if (pending.length > 0) yield pending.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}
