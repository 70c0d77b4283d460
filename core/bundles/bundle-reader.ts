import { createHash, type Hash } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { ColdrootError } from '../errors.js';
import { describeCertificate } from '../x509/certificate-info.js';
import { TarReader, TYPE_NAMES, type TarHeader } from './archive/tar-reader.js';
import { FILE_NAME, MANIFEST_NAME, parseManifest, sha256Hex, SIGNATURE_NAME, type BundleLimits, type Manifest, type ManifestFile } from './bundle-format.js';
import { BundleRejection, reject } from './bundle-rejection.js';
import { verifyDetached } from './cms/cms-verify.js';
import { planPayload, type PayloadKind } from './payload-plan.js';
import { AgentPackageConfigFileSchema } from './payloads/agent-package.js';
import { MAX_JSON_PAYLOAD_BYTES, parseJsonPayload } from './payloads/json-payload.js';
import { MAX_LOG_EXCERPTS_COMPRESSED_BYTES, readLogExcerpts, type LogExcerpt } from './payloads/log-excerpts.js';
import { readMetricsFile, type MetricsParallelism } from './payloads/metrics-file.js';
import { metricsFormatOf } from './payloads/metrics-reader.js';
import { METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1 } from './payloads/metrics-fields.js';
import type { MetricRow } from './payloads/metrics-validate.js';
import { checkRenewalRequests, RenewalRequestFileSchema, type CheckedRenewalRequest } from './payloads/renewal-request.js';
import { checkRenewalFiles, RenewalIndexSchema, RolloutPlanSchema, type RenewalIndex, type RolloutPlan } from './payloads/renewal.js';
import { RolloutProgressFileSchema, type RolloutProgressFile } from '../policy/canary/rollout-progress.js';
import { RiskReportFileSchema, type RiskReport } from './payloads/risk-report.js';

/** The producer as its certificate (the one whose key signed manifest.p7s) describes it. */
export interface SignerFacts {
  certificate: Uint8Array;
  sha256: string;
  subject: string;
  issuer: string;
  serial: string;
  notAfter: string;
  /** Every certificate manifest.p7s carries (the signer's included), DER. */
  certificates: Uint8Array[];
  signingTime: Date | null;
}

/** A bundle whose signature and manifest checked out; the payload is still to be read. */
export interface OpenedBundle {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestSha256: string;
  signature: Uint8Array;
  signer: SignerFacts;
}

/** Where payload content goes. Called synchronously while the payload streams. */
export interface PayloadSink {
  /** Metric series id for a host and certificate (the importer interns them in metric_series). */
  seriesId?(host: string, cert: string): number;
  /** A valid sample; slot 0 holds the series id (see MetricRow). */
  metricRow?(row: MetricRow): void;
  /** One checked line of a metrics bundle's log-excerpts.ndjson.gz (the console counts them; storing is optional). */
  logExcerpt?(excerpt: LogExcerpt): void;
  riskReports?(reports: RiskReport[]): void;
  renewalRequests?(requests: CheckedRenewalRequest[]): void;
  renewal?(index: RenewalIndex, rollout: RolloutPlan | null, files: ReadonlyMap<string, Uint8Array>): void;
  /** A metrics bundle's rollout.json (coldroot.rollout-progress.v1): the agent's canary rollouts. */
  rolloutProgress?(progress: RolloutProgressFile): void;
}

/** process: parse and hand on the payload; hash-only: check sizes and hashes, nothing else (a known bundle). */
export type PayloadMode = 'process' | 'hash-only';

export interface ReadHooks {
  /** Trust, revocation and replay, once the signature and manifest are good. Throws a BundleRejection or says how to read the payload. */
  admit(opened: OpenedBundle): PayloadMode;
  sink: PayloadSink;
  limits: BundleLimits;
  parallel?: MetricsParallelism;
  /** Bytes of the bundle file read so far, and its size: called as each chunk (up to 1 MiB) arrives. */
  onProgress?(bytesRead: number, totalBytes: number): void;
}

export interface BundleReadResult extends OpenedBundle {
  fileSha256: string;
  fileSize: number;
  mode: PayloadMode;
  records: number;
  files: Array<ManifestFile & { records: number }>;
}

function checkEntry(h: TarHeader): void {
  if (h.typeflag !== '0' && h.typeflag !== '\0') {
    const what = TYPE_NAMES[h.typeflag] ?? `entry of type '${h.typeflag}'`;
    const link = h.typeflag === '1' || h.typeflag === '2' ? ` to '${h.linkname}'` : '';
    reject('BUNDLE_ENTRY_TYPE', `Archive member '${h.name}' is a ${what}${link}; bundles hold regular files only`);
  }
  const name = h.name;
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name)) reject('BUNDLE_UNSAFE_PATH', `Archive member '${name}' has an absolute path`);
  if (name.split(/[/\\]/).includes('..')) reject('BUNDLE_UNSAFE_PATH', `Archive member '${name}' climbs out of the bundle with '..'`);
  if (name !== MANIFEST_NAME && name !== SIGNATURE_NAME && !FILE_NAME.test(name)) {
    reject('BUNDLE_UNSAFE_PATH', `Archive member ${JSON.stringify(name)} is not a portable relative name (letters, digits, '.', '_', '-', one '/' at most)`);
  }
}

function misplaced(h: TarHeader, expected: string, seen: ReadonlySet<string>, listed: ReadonlySet<string>): never {
  if (seen.has(h.name)) reject('BUNDLE_DUPLICATE_ENTRY', `Archive member '${h.name}' appears twice`);
  if (listed.has(h.name)) reject('BUNDLE_ENTRY_ORDER', `Archive member '${h.name}' is out of place: '${expected}' must come here`);
  reject('BUNDLE_UNEXPECTED_ENTRY', `Archive member '${h.name}' is not listed in manifest.json${expected ? ` ('${expected}' must come here)` : ''}`);
}

async function readSmall(tar: TarReader, h: TarHeader, max: number): Promise<Uint8Array> {
  if (h.size > max) reject('BUNDLE_ENTRY_TOO_LARGE', `${h.name} is ${h.size} bytes; the limit is ${max}`);
  return tar.readAll(h.name);
}

function signerFacts(der: Uint8Array, certificates: Uint8Array[], signingTime: Date | null): SignerFacts {
  const info = describeCertificate(der);
  return { certificate: der, sha256: info.fingerprintSha256, subject: info.subject, issuer: info.issuer, serial: info.serial, notAfter: info.notAfter, certificates, signingTime };
}

/**
 * Reads a bundle file from start to end in one pass, checking as it goes: archive hygiene and
 * limits on every member, then the signature over manifest.json and the manifest itself, then
 * `hooks.admit` (trust, revocation, replay — before any payload byte is read), then each payload
 * file in manifest order: its size up front, its content as it streams, its SHA-256 at the end.
 * Throws a BundleRejection naming the first check that failed.
 */
export async function readBundle(path: string, hooks: ReadHooks): Promise<BundleReadResult> {
  const limits = hooks.limits;
  let size: number;
  try {
    size = statSync(path).size;
  } catch {
    throw new ColdrootError('FILE_NOT_FOUND', `Cannot read bundle ${path}`, 'Check the path');
  }
  if (size > limits.maxBundleBytes) reject('BUNDLE_TOO_LARGE', `${path} is ${size} bytes; the bundle limit is ${limits.maxBundleBytes}`);
  const fileHash = createHash('sha256');
  const source = createReadStream(path, { highWaterMark: 1024 * 1024 });
  let read = 0;
  const tar = new TarReader(source, {
    maxBytes: limits.maxBundleBytes,
    onChunk: (c) => {
      fileHash.update(c);
      read += c.length;
      hooks.onProgress?.(read, size);
    },
  });
  try {
    return await readEntries(tar, hooks, fileHash);
  } finally {
    source.destroy();
  }
}

async function readEntries(tar: TarReader, hooks: ReadHooks, fileHash: Hash): Promise<BundleReadResult> {
  const { limits, sink } = hooks;
  const seen = new Set<string>();
  const first = await tar.next();
  if (!first) reject('BUNDLE_MISSING_ENTRY', 'The archive is empty: manifest.json is missing');
  checkEntry(first);
  if (first.name !== MANIFEST_NAME) reject('BUNDLE_ENTRY_ORDER', `The first archive member is '${first.name}'; a bundle starts with manifest.json`);
  seen.add(MANIFEST_NAME);
  const manifestBytes = await readSmall(tar, first, limits.maxManifestBytes);
  const second = await tar.next();
  if (!second) reject('BUNDLE_MISSING_ENTRY', 'manifest.p7s is missing');
  checkEntry(second);
  if (second.name === MANIFEST_NAME) reject('BUNDLE_DUPLICATE_ENTRY', 'Archive member manifest.json appears twice');
  if (second.name !== SIGNATURE_NAME) reject('BUNDLE_ENTRY_ORDER', `The second archive member is '${second.name}'; manifest.p7s must follow manifest.json`);
  seen.add(SIGNATURE_NAME);
  const signature = await readSmall(tar, second, limits.maxManifestBytes);

  const cms = verifyDetached(signature, manifestBytes);
  if (!cms.ok) reject('BUNDLE_SIGNATURE_INVALID', `manifest.p7s: ${cms.message}`);
  let signer: SignerFacts;
  try {
    signer = signerFacts(cms.signerCertificate, cms.certificates, cms.signingTime);
  } catch (e) {
    reject('BUNDLE_SIGNATURE_INVALID', `manifest.p7s: the signer certificate cannot be decoded: ${(e as Error).message}`);
  }
  const manifest = parseManifest(manifestBytes);
  if (signer.sha256 !== manifest.producer.certificateSha256) {
    reject('BUNDLE_PRODUCER_MISMATCH', `manifest.json names producer certificate ${manifest.producer.certificateSha256.slice(0, 16)}…, but manifest.p7s is signed with ${signer.sha256.slice(0, 16)}… (${signer.subject})`);
  }
  const named = manifest.producer;
  if (named.subject !== signer.subject || named.issuer !== signer.issuer || named.serial !== signer.serial) {
    reject('BUNDLE_PRODUCER_MISMATCH', `manifest.json describes its producer as ${named.subject} (serial ${named.serial}, issuer ${named.issuer}); the certificate says ${signer.subject} (serial ${signer.serial}, issuer ${signer.issuer})`);
  }
  const kinds = planPayload(manifest);
  if (manifest.files.length > limits.maxFiles) reject('BUNDLE_TOO_MANY_ENTRIES', `The bundle lists ${manifest.files.length} files; the limit is ${limits.maxFiles}`);
  for (const f of manifest.files) if (f.size > limits.maxFileBytes) reject('BUNDLE_ENTRY_TOO_LARGE', `${f.name} is ${f.size} bytes; the limit is ${limits.maxFileBytes}`);

  const opened: OpenedBundle = { manifest, manifestBytes, manifestSha256: sha256Hex(manifestBytes), signature, signer };
  const mode = hooks.admit(opened);

  const listed = new Set(manifest.files.map((f) => f.name));
  const renewalFiles = new Map<string, Uint8Array>();
  const files: BundleReadResult['files'] = [];
  for (const [i, f] of manifest.files.entries()) {
    const h = await tar.next();
    if (!h) reject('BUNDLE_MISSING_ENTRY', `${f.name} is listed in manifest.json but the archive ends before it`);
    checkEntry(h);
    if (h.name !== f.name) misplaced(h, f.name, seen, listed);
    seen.add(h.name);
    if (h.size !== f.size) reject('BUNDLE_SIZE_MISMATCH', `${f.name} is ${h.size} bytes in the archive; manifest.json says ${f.size}`);
    const records = await readPayload(tar, f, mode === 'hash-only' ? null : kinds[i], hooks, renewalFiles);
    if (mode === 'process' && f.records !== undefined && records !== f.records) {
      reject('BUNDLE_PAYLOAD_INVALID', `${f.name} holds ${records} records; manifest.json says ${f.records}`);
    }
    files.push({ ...f, records: mode === 'process' ? records : f.records ?? 0 });
  }
  const extra = await tar.next();
  if (extra) {
    checkEntry(extra);
    misplaced(extra, '', seen, listed);
  }
  if (mode === 'process' && manifest.type === 'renewal') {
    const index = parseJsonPayload('renewal.json', renewalFiles.get('renewal.json')!, RenewalIndexSchema);
    checkRenewalFiles(index, renewalFiles);
    const rollout = renewalFiles.has('rollout.json') ? parseJsonPayload('rollout.json', renewalFiles.get('rollout.json')!, RolloutPlanSchema) : null;
    sink.renewal?.(index, rollout, renewalFiles);
  }
  return { ...opened, fileSha256: fileHash.digest('hex'), fileSize: tar.bytesRead, mode, records: files.reduce((a, f) => a + f.records, 0), files };
}

/**
 * One payload file. Its hash is computed on the bytes as they pass; when the content is refused
 * part way, the rest is still hashed so that a file altered after signing is reported as such
 * (BUNDLE_HASH_MISMATCH) rather than by whatever its damage looked like.
 */
async function readPayload(tar: TarReader, f: ManifestFile, kind: PayloadKind | null, hooks: ReadHooks, renewalFiles: Map<string, Uint8Array>): Promise<number> {
  const hash = createHash('sha256');
  const mismatch = () => reject('BUNDLE_HASH_MISMATCH', `${f.name} does not match its SHA-256 in manifest.json: it was altered or swapped after signing`);
  const verify = () => { if (hash.digest('hex') !== f.sha256) mismatch(); };
  if (kind === null || kind === 'package-file') {
    await tar.skip((c) => hash.update(c));
    verify();
    return 0;
  }
  if (kind === 'metrics') {
    const chunks = (async function* () { for await (const c of tar.content()) { hash.update(c); yield c; } })();
    let records = 0;
    try {
      records = await readMetricsFile(chunks, {
        name: f.name, format: metricsFormatOf(f.name)!, schema: f.schema === METRICS_SCHEMA_V1_1 ? METRICS_SCHEMA_V1_1 : METRICS_SCHEMA_V1, limits: hooks.limits, parallel: hooks.parallel ?? 'auto', compressedSize: f.size,
        seriesId: (host, cert) => hooks.sink.seriesId?.(host, cert) ?? 0,
        onRow: (row) => hooks.sink.metricRow?.(row),
      });
    } catch (e) {
      if (!(e instanceof BundleRejection) || e.check === 'archive' || e.code === 'BUNDLE_TOO_LARGE') throw e;
      // The chunk generator may still be mid-step; it must be closed before the archive is read on.
      await chunks.return(undefined);
      await tar.skip((c) => hash.update(c));
      verify();
      throw e;
    }
    verify();
    return records;
  }
  if (kind === 'log-excerpts' && f.size > MAX_LOG_EXCERPTS_COMPRESSED_BYTES) reject('BUNDLE_ENTRY_TOO_LARGE', `${f.name} is ${f.size} bytes; the limit is ${MAX_LOG_EXCERPTS_COMPRESSED_BYTES}`);
  const bytes = await readSmallPayload(tar, f);
  hash.update(bytes);
  verify();
  switch (kind) {
    case 'log-excerpts':
      return readLogExcerpts(f.name, bytes, (e) => hooks.sink.logExcerpt?.(e));
    case 'rollout-progress': {
      const progress = parseJsonPayload(f.name, bytes, RolloutProgressFileSchema);
      hooks.sink.rolloutProgress?.(progress);
      return progress.rollouts.length;
    }
    case 'package-config':
      parseJsonPayload(f.name, bytes, AgentPackageConfigFileSchema);
      return 0;
    case 'risk-report': {
      const reports = parseJsonPayload(f.name, bytes, RiskReportFileSchema).reports;
      hooks.sink.riskReports?.(reports);
      return reports.length;
    }
    case 'renewal-request': {
      const requests = checkRenewalRequests(f.name, parseJsonPayload(f.name, bytes, RenewalRequestFileSchema).requests);
      hooks.sink.renewalRequests?.(requests);
      return requests.length;
    }
    case 'renewal-index': {
      const index = parseJsonPayload(f.name, bytes, RenewalIndexSchema);
      renewalFiles.set(f.name, bytes);
      return index.issued.length + index.rejected.length;
    }
    default:
      renewalFiles.set(f.name, bytes);
      return 0;
  }
}

async function readSmallPayload(tar: TarReader, f: ManifestFile): Promise<Uint8Array> {
  if (f.size > MAX_JSON_PAYLOAD_BYTES) reject('BUNDLE_ENTRY_TOO_LARGE', `${f.name} is ${f.size} bytes; files read whole are limited to ${MAX_JSON_PAYLOAD_BYTES}`);
  return tar.readAll(f.name);
}
