import { createHash } from 'node:crypto';
import { copyFileSync, createReadStream, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { OperationContext } from '../ca/operation-context.js';
import type { BundleRejection } from './bundle-rejection.js';

export const QUARANTINE_DIR = 'quarantine';

export interface QuarantineRecord {
  /** The copy of the rejected bundle, `<home>/quarantine/<time>-<sha256 prefix>.bundle`. */
  path: string;
  /** The reason file beside it (`….reason.json`). */
  reasonPath: string;
  sha256: string;
}

export async function fileSha256(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024 })) h.update(c as Buffer);
  return h.digest('hex');
}

/**
 * Keeps a rejected bundle for the record: a copy in the home's quarantine folder, a reason file
 * (what failed, which check, when, who) and a `bundle.reject` audit entry. The rejected bundle
 * itself changed nothing else.
 */
export async function quarantineBundle(ctx: OperationContext, file: string, why: BundleRejection): Promise<QuarantineRecord> {
  const sha256 = await fileSha256(file);
  const dir = join(ctx.store.home, QUARANTINE_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const at = ctx.now();
  const stem = `${at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}Z$/, 'Z')}-${sha256.slice(0, 16)}`;
  let name = stem;
  for (let i = 2; existsSync(join(dir, `${name}.bundle`)); i++) name = `${stem}-${i}`;
  const path = join(dir, `${name}.bundle`);
  const reasonPath = join(dir, `${name}.reason.json`);
  copyFileSync(file, path);
  try {
    const reason = { file, sha256, rejectedAt: at.toISOString(), operator: ctx.operator, check: why.check, code: why.code, message: why.message, hint: why.hint };
    writeFileSync(reasonPath, `${JSON.stringify(reason, null, 2)}\n`, { flag: 'wx' });
    ctx.store.transaction(() => {
      ctx.store.audit.append({
        actor: ctx.operator, role: ctx.role ?? null, action: 'bundle.reject', inputs: { bundle: sha256 }, outcome: why.code,
        details: { file: basename(file), sha256, check: why.check, code: why.code, message: why.message.slice(0, 2000), quarantine: join(QUARANTINE_DIR, `${name}.bundle`) },
      }, at);
    });
  } catch (e) {
    rmSync(path, { force: true });
    rmSync(reasonPath, { force: true });
    throw e;
  }
  return { path, reasonPath, sha256 };
}
