import { readdir, readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { RenewalIndex } from '../../../../core/bundles/payloads/renewal.js';
import { fromPemOrDer } from '../../../../core/x509/asn1.js';
import { GENERATION_FILES, type GenerationMaterial, type GenerationOrigin } from './generation-store.js';
import type { StateLayout } from '../state/state-layout.js';
import type { VerifiedRenewalBundle } from './verify-renewal-bundle.js';

/** A generation's files as read back from disk: what is validated is what was written. */
export interface StagedMaterial {
  certificatePem: string;
  certificateDer: Uint8Array;
  chainPem: string;
  chain: Uint8Array[];
  keyPem: string;
  crls: Uint8Array[];
  ocspDer: Uint8Array | null;
  index: RenewalIndex | null;
}

async function optional(path: string): Promise<Buffer | null> {
  try {
    return await readFile(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

export async function readStagedMaterial(layout: StateLayout, id: string): Promise<StagedMaterial> {
  const dir = layout.generation(id);
  const certificatePem = await readFile(join(dir, GENERATION_FILES.cert), 'utf8');
  const chainPem = await readFile(join(dir, GENERATION_FILES.chain), 'utf8');
  const crlDir = join(dir, GENERATION_FILES.crls);
  const crlNames = (await readdir(crlDir).catch(() => [] as string[])).filter((n) => n.endsWith('.crl')).sort();
  const renewal = await optional(join(dir, GENERATION_FILES.renewal));
  return {
    certificatePem,
    certificateDer: fromPemOrDer(certificatePem, ['CERTIFICATE'])[0],
    chainPem,
    chain: fromPemOrDer(chainPem, ['CERTIFICATE']),
    keyPem: await readFile(join(dir, GENERATION_FILES.key), 'utf8'),
    crls: await Promise.all(crlNames.map(async (n) => new Uint8Array(await readFile(join(crlDir, n))))),
    ocspDer: (await optional(join(dir, GENERATION_FILES.ocsp))) ?? null,
    index: renewal ? (JSON.parse(renewal.toString('utf8')) as RenewalIndex) : null,
  };
}

/** The generation a renewal bundle's entry becomes, with the pending key of its request. */
export function materialFromBundle(v: VerifiedRenewalBundle, entry: RenewalIndex['issued'][number], keyPem: string, origin: GenerationOrigin, stagedAt: Date): GenerationMaterial {
  const text = (name: string) => Buffer.from(v.files.get(name)!).toString('utf8');
  return {
    certificatePem: text(entry.certificate),
    keyPem,
    chainPem: text(v.index.chain),
    renewalJson: v.files.get('renewal.json'),
    crls: v.index.crls.map((name) => ({ name: basename(name), der: v.files.get(name)! })),
    ocspDer: v.files.get(entry.ocsp),
    origin,
    stagedAt,
  };
}
