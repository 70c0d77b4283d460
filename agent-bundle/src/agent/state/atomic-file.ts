import { constants } from 'node:fs';
import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';

/**
 * The file operations a durable write needs, injectable so tests can make any of them fail
 * (ENOSPC on write, EIO on fsync…) without a full disk. Production uses node:fs/promises.
 */
export interface DurableFs {
  open: typeof open;
  rename: typeof rename;
  rm: typeof rm;
}

export const realFs: DurableFs = { open, rename, rm };

export interface AtomicWriteOptions {
  /** File mode of the new file (default 0o644; keys 0o600). */
  mode?: number;
  fs?: DurableFs;
}

/** fsync a folder so that a rename inside it survives a power cut. */
export async function fsyncDir(dir: string, fs: DurableFs = realFs): Promise<void> {
  const h = await fs.open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    await h.sync();
  } finally {
    await h.close();
  }
}

/**
 * Writes `path` so that a crash at any moment leaves either the old content or the new, never a
 * mix: write a temp file beside it (O_EXCL, final mode from the start), fsync it, rename over the
 * target, fsync the folder. On failure the temp file is removed and the target is untouched.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | string, opts: AtomicWriteOptions = {}): Promise<void> {
  const fs = opts.fs ?? realFs;
  const dir = dirname(path);
  const tmp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`);
  const h = await fs.open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, opts.mode ?? 0o644);
  try {
    try {
      await h.writeFile(data);
      await h.sync();
    } finally {
      await h.close();
    }
    await fs.rename(tmp, path);
  } catch (e) {
    await fs.rm(tmp, { force: true }).catch(() => undefined);
    throw e;
  }
  await fsyncDir(dir, fs);
}
