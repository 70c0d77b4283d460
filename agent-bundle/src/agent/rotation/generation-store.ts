import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { ColdrootError } from '../../../../core/errors.js';
import { fromPemOrDer } from '../../../../core/x509/asn1.js';
import { describeCertificate } from '../../../../core/x509/certificate-info.js';
import { fsyncDir, realFs, writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import type { ActivePointer } from '../state/rotation-state.js';
import type { StateLayout } from '../state/state-layout.js';

/** The certificate the agent (and the services it feeds) uses now. */
export interface ActiveMaterial {
  generation: string;
  certPath: string;
  keyPath: string;
  chainPath: string;
  certificateDer: Uint8Array;
  notBefore: string;
  notAfter: string;
  serial: string;
  fingerprintSha256: string;
}

/** Where a generation came from, kept in its meta.json. */
export interface GenerationOrigin {
  bundleId?: string;
  bundleCreatedAt?: string;
  requestId?: string;
  host?: string;
}

export interface GenerationMeta extends GenerationOrigin {
  generation: string;
  serial: string;
  notBefore: string;
  notAfter: string;
  fingerprintSha256: string;
  stagedAt: string;
}

export interface GenerationMaterial {
  /** The issued certificate (leaf only), PEM. */
  certificatePem: string;
  /** Its private key, PKCS#8 PEM. */
  keyPem: string;
  /** Issuing CA first, up to the root, PEM. */
  chainPem: string;
  /** The renewal bundle's index, as it came. */
  renewalJson?: Uint8Array;
  /** CRLs shipped with the certificate, by file name (e.g. 'device-ca.crl'). */
  crls?: Array<{ name: string; der: Uint8Array }>;
  ocspDer?: Uint8Array;
  origin?: GenerationOrigin;
  stagedAt: Date;
}

export const GENERATION_FILES = { cert: 'cert.pem', key: 'key.pem', chain: 'chain.pem', renewal: 'renewal.json', crls: 'crls', ocsp: 'ocsp.der', meta: 'meta.json' } as const;

/** Generation ids come from the serial, so the same certificate always lands in the same folder. */
export function generationIdFor(serial: string): string {
  return `cert-${serial.toLowerCase().replace(/^0+(?=.)/, '')}`;
}

const GENERATION_ID = /^cert-[0-9a-f]{1,40}$/;

async function readJson<T>(path: string): Promise<T | null> {
  try {
    return JSON.parse(await readFile(path, 'utf8')) as T;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/**
 * Certificate generations on disk and the active pointer. A generation folder appears whole or not
 * at all (built as `.<id>.partial`, every file fsynced, then renamed and the parent fsynced);
 * active.json is replaced atomically. Nothing here deletes the active or previous generation.
 */
export class GenerationStore {
  readonly #fs: DurableFs;

  constructor(readonly layout: StateLayout, fs: DurableFs = realFs) {
    this.#fs = fs;
  }

  async pointer(): Promise<ActivePointer | null> {
    return readJson<ActivePointer>(this.layout.active);
  }

  async meta(id: string): Promise<GenerationMeta | null> {
    return readJson<GenerationMeta>(join(this.layout.generation(id), GENERATION_FILES.meta));
  }

  async material(id: string): Promise<ActiveMaterial> {
    const dir = this.layout.generation(id);
    const certPath = join(dir, GENERATION_FILES.cert);
    let der: Uint8Array;
    try {
      der = fromPemOrDer(await readFile(certPath), ['CERTIFICATE'])[0];
    } catch (e) {
      throw new ColdrootError('GENERATION_UNREADABLE', `Generation ${id}: cannot read ${certPath}: ${(e as Error).message}`, 'Check the agent state folder; restore it from a backup or re-enrol the device', 'failure');
    }
    if (!der) throw new ColdrootError('GENERATION_UNREADABLE', `Generation ${id}: ${certPath} holds no certificate`, 'Check the agent state folder', 'failure');
    const info = describeCertificate(der);
    return {
      generation: id, certPath, keyPath: join(dir, GENERATION_FILES.key), chainPath: join(dir, GENERATION_FILES.chain), certificateDer: der,
      notBefore: info.notBefore, notAfter: info.notAfter, serial: info.serial, fingerprintSha256: info.fingerprintSha256,
    };
  }

  async active(): Promise<ActiveMaterial | null> {
    const p = await this.pointer();
    return p ? this.material(p.generation) : null;
  }

  async previous(): Promise<ActiveMaterial | null> {
    const p = await this.pointer();
    return p?.previous ? this.material(p.previous) : null;
  }

  async exists(id: string): Promise<boolean> {
    return (await this.meta(id)) !== null;
  }

  /** Complete generations on disk (partial folders excluded). */
  async list(): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(this.layout.generations);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    }
    return names.filter((n) => GENERATION_ID.test(n)).sort();
  }

  /**
   * Writes a generation and returns its id. Staging the same certificate again is a no-op, so a
   * retried rotation or a duplicate bundle never rewrites the material in use.
   */
  async stage(m: GenerationMaterial): Promise<string> {
    const der = fromPemOrDer(m.certificatePem, ['CERTIFICATE'])[0];
    if (!der) throw new ColdrootError('GENERATION_INVALID', 'The certificate to stage is not a PEM certificate', 'This is a bug in the caller', 'failure');
    const info = describeCertificate(der);
    const id = generationIdFor(info.serial);
    if (await this.exists(id)) return id;
    await mkdir(this.layout.generations, { recursive: true, mode: 0o700 });
    const partial = join(this.layout.generations, `.${id}.partial`);
    await rm(partial, { recursive: true, force: true });
    try {
      await mkdir(partial, { mode: 0o700 });
      const write = (name: string, data: string | Uint8Array, mode = 0o644) => writeFileAtomic(join(partial, name), data, { mode, fs: this.#fs });
      await write(GENERATION_FILES.key, m.keyPem, 0o600);
      await write(GENERATION_FILES.cert, m.certificatePem);
      await write(GENERATION_FILES.chain, m.chainPem);
      if (m.renewalJson) await write(GENERATION_FILES.renewal, m.renewalJson);
      if (m.ocspDer) await write(GENERATION_FILES.ocsp, m.ocspDer);
      if (m.crls?.length) {
        await mkdir(join(partial, GENERATION_FILES.crls), { mode: 0o755 });
        for (const c of m.crls) await writeFileAtomic(join(partial, GENERATION_FILES.crls, c.name), c.der, { fs: this.#fs });
        await fsyncDir(join(partial, GENERATION_FILES.crls), this.#fs);
      }
      const meta: GenerationMeta = {
        generation: id, serial: info.serial, notBefore: info.notBefore, notAfter: info.notAfter, fingerprintSha256: info.fingerprintSha256,
        stagedAt: m.stagedAt.toISOString(), ...m.origin,
      };
      // meta.json last: a generation without it is not complete.
      await write(GENERATION_FILES.meta, `${JSON.stringify(meta, null, 2)}\n`);
      await this.#fs.rename(partial, this.layout.generation(id));
    } catch (e) {
      await rm(partial, { recursive: true, force: true }).catch(() => undefined);
      throw e;
    }
    await fsyncDir(this.layout.generations, this.#fs);
    return id;
  }

  async #writePointer(p: ActivePointer): Promise<void> {
    await writeFileAtomic(this.layout.active, `${JSON.stringify(p, null, 2)}\n`, { fs: this.#fs });
  }

  /** Makes `id` active; the old active generation becomes the previous one. Switching to the active one is a no-op. */
  async switchTo(id: string, at: Date = new Date()): Promise<ActivePointer> {
    if (!(await this.exists(id))) throw new ColdrootError('GENERATION_MISSING', `Generation ${id} is not staged (no ${this.layout.generation(id)}/meta.json)`, 'Stage it first', 'failure');
    const old = await this.pointer();
    if (old?.generation === id) return old;
    const p: ActivePointer = { generation: id, previous: old?.generation ?? null, switchedAt: at.toISOString() };
    await this.#writePointer(p);
    return p;
  }

  /** Puts back a pointer saved before a switch (the exact previous chain, not just one step). */
  async restore(p: ActivePointer | null): Promise<void> {
    if (p) return this.#writePointer(p);
    // The device had no certificate before: it goes back to having none active (never deleting files).
    await this.#fs.rm(this.layout.active, { force: true });
    await fsyncDir(this.layout.root, this.#fs);
  }

  /** Makes the previous generation active again. */
  async rollback(at: Date = new Date()): Promise<ActivePointer> {
    const cur = await this.pointer();
    if (!cur?.previous) throw new ColdrootError('NO_PREVIOUS_GENERATION', 'There is no previous certificate generation to roll back to', 'Keep the active certificate, or apply a new renewal bundle');
    const p: ActivePointer = { generation: cur.previous, previous: null, switchedAt: at.toISOString() };
    await this.#writePointer(p);
    return p;
  }

  /** Removes a generation that is neither active nor previous (a staged one a rotation gave up). */
  async discard(id: string): Promise<boolean> {
    const p = await this.pointer();
    if (p && (p.generation === id || p.previous === id)) return false;
    await rm(join(this.layout.generations, `.${id}.partial`), { recursive: true, force: true });
    await rm(this.layout.generation(id), { recursive: true, force: true });
    await fsyncDir(this.layout.generations, this.#fs).catch(() => undefined);
    return true;
  }

  /**
   * Deletes old generations and leftover partial folders. Kept: the active and previous
   * generations and, when neither is valid at `now`, the valid one that expires last: the last
   * valid certificate is never deleted.
   */
  async prune(now: Date = new Date()): Promise<string[]> {
    const p = await this.pointer();
    const ids = await this.list();
    const keep = new Set([p?.generation, p?.previous].filter((x): x is string => !!x));
    const valid = async (id: string) => {
      const m = await this.meta(id);
      return m && Date.parse(m.notBefore) <= now.getTime() && now.getTime() <= Date.parse(m.notAfter) ? m : null;
    };
    let keptValid = false;
    for (const id of keep) if (await valid(id)) keptValid = true;
    if (!keptValid) {
      let best: { id: string; notAfter: number } | null = null;
      for (const id of ids) {
        const m = await valid(id);
        if (m && (!best || Date.parse(m.notAfter) > best.notAfter)) best = { id, notAfter: Date.parse(m.notAfter) };
      }
      if (best) keep.add(best.id);
    }
    const removed: string[] = [];
    for (const name of await readdir(this.layout.generations).catch(() => [] as string[])) {
      if (name.startsWith('.') && name.endsWith('.partial')) await rm(join(this.layout.generations, name), { recursive: true, force: true });
    }
    for (const id of ids) {
      if (keep.has(id)) continue;
      await rm(this.layout.generation(id), { recursive: true, force: true });
      removed.push(id);
    }
    if (removed.length) await fsyncDir(this.layout.generations, this.#fs);
    return removed;
  }

  /** Installs a first generation without a bundle (enrolment by hand, tests) and makes it active. */
  async installInitial(m: GenerationMaterial): Promise<string> {
    const id = await this.stage(m);
    await this.switchTo(id, m.stagedAt);
    return id;
  }
}
