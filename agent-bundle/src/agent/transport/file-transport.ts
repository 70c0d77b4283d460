import { constants } from 'node:fs';
import { access, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ColdrootError } from '../../../../core/errors.js';
import { fsyncDir } from '../state/atomic-file.js';
import type { Transport } from './transport.js';

function unavailable(what: string, dir: string, e: unknown): ColdrootError {
  const code = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
  return new ColdrootError('TRANSPORT_UNAVAILABLE', `The ${what} ${dir} is not usable: ${code}`,
    `Mount or create ${dir} and make it writable by the agent; the agent retries with backoff and keeps its current certificate meanwhile`, 'failure');
}

/**
 * Outbox and inbox folders. The agent never creates the outbox: a missing folder usually means
 * the USB stick is not mounted, and writing into the mount point would hide the bundle under it.
 */
export class FileTransport implements Transport {
  readonly kind = 'file';

  constructor(readonly outbox: string, readonly inbox: string) {}

  async send(file: string): Promise<string> {
    try {
      const s = await stat(this.outbox);
      if (!s.isDirectory()) throw Object.assign(new Error('ENOTDIR'), { code: 'ENOTDIR' });
      await access(this.outbox, constants.W_OK);
    } catch (e) {
      throw unavailable('outbox', this.outbox, e);
    }
    const target = join(this.outbox, basename(file));
    // A dot-name while copying: whoever collects the outbox never takes half a bundle.
    const tmp = join(this.outbox, `.${basename(file)}.partial`);
    try {
      await copyFile(file, tmp);
      await rename(tmp, target);
      await fsyncDir(this.outbox).catch(() => undefined); // some removable file systems refuse a directory fsync
    } catch (e) {
      await rm(tmp, { force: true }).catch(() => undefined);
      throw unavailable('outbox', this.outbox, e);
    }
    return target;
  }

  async receive(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.inbox);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw unavailable('inbox', this.inbox, e);
    }
    const files: string[] = [];
    for (const n of names.sort()) {
      if (n.startsWith('.')) continue;
      const p = join(this.inbox, n);
      if ((await stat(p)).isFile()) files.push(p);
    }
    return files;
  }

  async done(file: string): Promise<string> {
    const dir = join(this.inbox, 'processed');
    await mkdir(dir, { recursive: true });
    let target = join(dir, basename(file));
    for (let i = 1; await exists(target); i++) target = join(dir, `${basename(file)}.${i}`);
    await rename(file, target);
    return target;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
