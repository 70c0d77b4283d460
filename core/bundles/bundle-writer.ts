import { createHash, randomUUID } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import tar from 'tar-stream';
import { ColdrootError } from '../errors.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { FORMAT_VERSION, MANIFEST_NAME, parseManifest, serializeManifest, SIGNATURE_NAME, type BundleType, type Manifest } from './bundle-format.js';
import { isBundleRejection } from './bundle-rejection.js';
import { signDetached, type SigningIdentity } from './cms/cms-sign.js';
import { planPayload } from './payload-plan.js';

/** A payload file to put in a bundle: bytes in memory, or a file streamed from disk (large metrics). */
export interface BundleFileSource {
  name: string;
  data?: Uint8Array;
  path?: string;
  schema?: string;
  records?: number;
}

export interface WriteBundleInput {
  type: BundleType;
  identity: SigningIdentity;
  /** Per-producer sequence number, 1, 2, 3…: the console refuses a (producer, sequence) it has seen. */
  sequence: number;
  createdAt: Date;
  /** Default: a random UUID. */
  bundleId?: string;
  inReplyTo?: string;
  files: BundleFileSource[];
}

export interface WrittenBundle {
  path: string;
  bundleId: string;
  manifest: Manifest;
  manifestBytes: Uint8Array;
  signature: Uint8Array;
  /** SHA-256 and size of the whole bundle file. */
  sha256: string;
  size: number;
}

async function describeFile(f: BundleFileSource): Promise<{ size: number; sha256: string }> {
  if (f.data) return { size: f.data.length, sha256: createHash('sha256').update(f.data).digest('hex') };
  if (!f.path) throw new ColdrootError('BUNDLE_FILE_MISSING', `Bundle file ${f.name} has neither data nor a path`, 'Give the bytes or a file to read', 'failure');
  const h = createHash('sha256');
  let size = 0;
  for await (const c of createReadStream(f.path, { highWaterMark: 1024 * 1024 })) {
    h.update(c as Buffer);
    size += (c as Buffer).length;
  }
  return { size, sha256: h.digest('hex') };
}

/**
 * Writes a signed bundle (plain Node and the Signer interface only, so the device agent can use
 * it as it is): hashes every payload file, builds and signs manifest.json (detached CMS), then
 * streams manifest.json, manifest.p7s and the files into a ustar archive. Never overwrites `out`;
 * a partly written file is removed on failure.
 */
export async function writeBundle(out: string, input: WriteBundleInput): Promise<WrittenBundle> {
  if (existsSync(out)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${out} already exists`, 'Choose a new file name; Coldroot never overwrites its outputs');
  if (input.identity.signer.algorithm === 'ed25519') {
    throw new ColdrootError('BUNDLE_SIGNER_ALGORITHM', `Key ${input.identity.signer.keyUri} is Ed25519; OpenSSL 3.0 cannot verify Ed25519 CMS signatures, so bundles are signed with ECDSA or RSA`, 'Create the signing identity with --algorithm ecdsa-p256 (or ecdsa-p384, rsa-3072)');
  }
  const producer = describeCertificate(input.identity.certificate);
  const files = [];
  for (const f of input.files) files.push({ name: f.name, ...(await describeFile(f)), ...(f.schema ? { schema: f.schema } : {}), ...(f.records !== undefined ? { records: f.records } : {}) });
  const draft: Manifest = {
    type: input.type, formatVersion: FORMAT_VERSION, bundleId: input.bundleId ?? randomUUID(),
    producer: { certificateSha256: producer.fingerprintSha256, subject: producer.subject, issuer: producer.issuer, serial: producer.serial },
    sequence: input.sequence, createdAt: input.createdAt.toISOString(), ...(input.inReplyTo ? { inReplyTo: input.inReplyTo } : {}), files,
  };
  const manifestBytes = serializeManifest(draft);
  let manifest: Manifest;
  try {
    // What we write must pass our own reader's manifest rules.
    manifest = parseManifest(manifestBytes);
    planPayload(manifest);
  } catch (e) {
    if (isBundleRejection(e)) throw new ColdrootError('BUNDLE_INPUT_INVALID', `Cannot write this bundle: ${e.message}`, 'Fix the bundle contents given to writeBundle');
    throw e;
  }
  const signature = await signDetached(manifestBytes, input.identity, input.createdAt);

  const pack = tar.pack();
  const sink = createWriteStream(out, { flags: 'wx' });
  const fileHash = createHash('sha256');
  let size = 0;
  // The archive streams to disk while entries are added; the writer side awaits drain (streamx and fs).
  const written = (async () => {
    for await (const c of pack as AsyncIterable<Buffer>) {
      fileHash.update(c);
      size += c.length;
      if (!sink.write(c)) await once(sink, 'drain');
    }
    sink.end();
    await once(sink, 'close');
  })();
  written.catch(() => undefined);
  try {
    const header = (name: string, bytes: number) => ({ name, size: bytes, mode: 0o644, mtime: input.createdAt, uid: 0, gid: 0, uname: '', gname: '', type: 'file' as const });
    await addBuffer(pack, header(MANIFEST_NAME, manifestBytes.length), manifestBytes);
    await addBuffer(pack, header(SIGNATURE_NAME, signature.length), signature);
    for (const [i, f] of input.files.entries()) {
      const h = header(f.name, files[i].size);
      if (f.data) await addBuffer(pack, h, f.data);
      else await addFile(pack, h, f.path!);
    }
    pack.finalize();
    await written;
  } catch (e) {
    pack.destroy();
    sink.destroy();
    await written.catch(() => undefined);
    rmSync(out, { force: true });
    throw e instanceof ColdrootError ? e : new ColdrootError('OUTPUT_FAILED', `Cannot write bundle ${out}: ${(e as Error).message}`, 'Check the folder exists, is writable and has space', 'failure');
  }
  return { path: out, bundleId: manifest.bundleId, manifest, manifestBytes, signature, sha256: fileHash.digest('hex'), size };
}

type EntryHeader = Parameters<tar.Pack['entry']>[0];

function addBuffer(pack: tar.Pack, header: EntryHeader, data: Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => {
    pack.entry(header, data, (err) => (err ? reject(err) : resolve()));
  });
}

async function addFile(pack: tar.Pack, header: EntryHeader, path: string): Promise<void> {
  let done!: (err?: Error | null) => void;
  const finished = new Promise<void>((resolve, reject) => { done = (err) => (err ? reject(err) : resolve()); });
  const entry = pack.entry(header, done);
  for await (const c of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
    if (!entry.write(c as Buffer)) await once(entry as unknown as NodeJS.EventEmitter, 'drain');
  }
  entry.end(null); // streamx: null ends without writing
  await finished;
}
