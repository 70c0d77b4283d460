import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, rmSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Transform, type Readable } from 'node:stream';
import { ColdrootError } from '../errors.js';

export interface StagedFile {
  id: string;
  name: string;
  size: number;
  sha256: string;
}

const ID = /^[a-f0-9]{32}$/;

/**
 * Files an operator hands to the console (dropped on the Import screen or chosen), kept in a
 * folder of this session until they are imported or the session ends. The browser host streams
 * uploads here; Electron main writes the bytes the preload passes. Operations then refer to a file
 * by its random id, so no path from the renderer ever reaches the file system.
 */
export class StagingArea {
  private readonly files = new Map<string, StagedFile & { path: string }>();

  constructor(readonly dir: string, readonly maxBytes: number) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  async stage(name: string, data: Readable | Uint8Array): Promise<StagedFile> {
    const clean = basename(name.replace(/\\/g, '/')).replace(/[^A-Za-z0-9._-]/g, '_').replace(/^\.+/, '_').slice(0, 120) || 'bundle';
    const id = randomBytes(16).toString('hex');
    // A folder per file keeps the operator's file name (quarantine reasons and reports show it).
    mkdirSync(join(this.dir, id), { mode: 0o700 });
    const path = join(this.dir, id, clean);
    const hash = createHash('sha256');
    let size = 0;
    const max = this.maxBytes;
    const meter = new Transform({
      transform(chunk: Buffer, _enc, done) {
        size += chunk.length;
        if (size > max) return done(new ColdrootError('UPLOAD_TOO_LARGE', `${clean} is larger than the bundle size limit of ${max} bytes`, 'Raise the bundle size limit in Settings if the bundle is genuine'));
        hash.update(chunk);
        done(null, chunk);
      },
    });
    const source = data instanceof Uint8Array ? [Buffer.from(data.buffer, data.byteOffset, data.byteLength)] : data;
    try {
      await pipeline(source, meter, createWriteStream(path, { flags: 'wx', mode: 0o600 }));
    } catch (e) {
      rmSync(join(this.dir, id), { recursive: true, force: true });
      throw e;
    }
    const staged = { id, name: clean, size, sha256: hash.digest('hex') };
    this.files.set(id, { ...staged, path });
    return staged;
  }

  list(): StagedFile[] {
    return [...this.files.values()].map(({ path: _p, ...f }) => f);
  }

  get(id: string): StagedFile & { path: string } {
    const f = ID.test(id) ? this.files.get(id) : undefined;
    if (!f || !existsSync(f.path)) throw new ColdrootError('STAGED_FILE_UNKNOWN', `No staged file with id '${id}' in this session`, 'Drop or choose the bundle again on the Import screen');
    return f;
  }

  remove(id: string): void {
    const f = this.files.get(id);
    if (f) rmSync(join(this.dir, id), { recursive: true, force: true });
    this.files.delete(id);
  }

  /** Removes the session's folder and everything left in it. */
  dispose(): void {
    this.files.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Removes staging folders of earlier sessions that ended without cleaning up (crash, kill). */
export function sweepStaging(parent: string, keep: string): void {
  if (!existsSync(parent)) return;
  for (const d of readdirSync(parent)) {
    const p = join(parent, d);
    if (p !== keep && statSync(p).isDirectory()) rmSync(p, { recursive: true, force: true });
  }
}
