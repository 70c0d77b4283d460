import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeBundle, type BundleFileSource } from '../../../../core/bundles/bundle-writer.js';
import type { SigningIdentity } from '../../../../core/bundles/cms/cms-sign.js';
import { LOG_EXCERPTS_FILE, LOG_EXCERPTS_SCHEMA_V1, MAX_LOG_EXCERPT_CHARS, MAX_LOG_EXCERPT_LINES, type LogExcerpt } from '../../../../core/bundles/payloads/log-excerpts.js';
import { METRICS_SCHEMA_V1, METRICS_SCHEMA_V1_1, type MetricSample } from '../../../../core/bundles/payloads/metrics-fields.js';
import { MetricsFileWriter } from '../../../../core/bundles/payloads/metrics-writer.js';
import { ColdrootError } from '../../../../core/errors.js';
import { fsyncDir, type DurableFs } from '../state/atomic-file.js';
import { nextBundleSequence } from '../state/bundle-sequence.js';
import type { StateLayout } from '../state/state-layout.js';

export interface OutboxBundleInput {
  layout: StateLayout;
  /** The active management certificate (DER), its chain and the Signer of its key. */
  identity: SigningIdentity;
  now: Date;
  /** Usually layout.outbox. */
  outDir: string;
  fs?: DurableFs;
}

export interface MetricsBundleInput extends OutboxBundleInput {
  samples: readonly MetricSample[];
  excerpts?: readonly LogExcerpt[];
  /** Further optional files of a metrics bundle (the canary's rollout.json), after metrics and excerpts. */
  extra?: readonly BundleFileSource[];
}

export interface WrittenMetricsBundle {
  path: string;
  bundleId: string;
  sequence: number;
  records: number;
  excerpts: number;
  sha256: string;
  size: number;
}

function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace(/[-:]/g, '');
}

/**
 * Writes a signed bundle into `outDir` under the next sequence number of the signing certificate.
 * The bundle is written beside its final name and renamed into place, so a transport watching the
 * folder never picks up half a file; the sequence number is durable before use (a crash may skip
 * one, never reuse it). `files` may create scratch files named from `scratch`; they are removed.
 */
export async function writeOutboxBundle(o: OutboxBundleInput, type: 'metrics' | 'risk-report', files: (scratch: string) => Promise<BundleFileSource[]>): Promise<{ path: string; bundleId: string; sequence: number; sha256: string; size: number }> {
  await mkdir(o.outDir, { recursive: true });
  const producer = createHash('sha256').update(o.identity.certificate).digest('hex');
  const sequence = await nextBundleSequence(o.layout, producer, o.fs);
  const name = `${type}-${stamp(o.now)}-${producer.slice(0, 8)}-${String(sequence).padStart(6, '0')}.tar`;
  const final = join(o.outDir, name);
  const scratch = join(o.outDir, `.${name}.${randomUUID().slice(0, 8)}`);
  const partial = `${scratch}.partial`;
  const payload = `${scratch}.payload`;
  try {
    const written = await writeBundle(partial, { type, identity: o.identity, sequence, createdAt: o.now, files: await files(payload) });
    await rename(partial, final);
    await fsyncDir(o.outDir, o.fs);
    return { path: final, bundleId: written.bundleId, sequence, sha256: written.sha256, size: written.size };
  } finally {
    await rm(payload, { force: true });
    await rm(partial, { force: true });
  }
}

/** A signed metrics bundle: metrics.ndjson.gz, plus log-excerpts.ndjson.gz when there are excerpts, plus `extra`. */
export async function writeMetricsBundle(o: MetricsBundleInput): Promise<WrittenMetricsBundle> {
  if (o.samples.length === 0) throw new ColdrootError('COLLECT_NO_SAMPLES', 'No metric samples to put in a bundle', 'Run collectOnce first; a metrics bundle holds at least one sample');
  const excerpts = o.excerpts ?? [];
  if (excerpts.length > MAX_LOG_EXCERPT_LINES) throw new ColdrootError('COLLECT_TOO_MANY_EXCERPTS', `${excerpts.length} log excerpts; a bundle carries at most ${MAX_LOG_EXCERPT_LINES}`, 'Lower collect.investigation.maxExcerptLines');
  let records = 0;
  const b = await writeOutboxBundle(o, 'metrics', async (payload) => {
    // v1.1 (client networks) when every sample counted them, as collectOnce's do; v1 otherwise.
    const schema = o.samples.every((s) => s.client_nets_distinct !== undefined && s.client_nets_new !== undefined) ? METRICS_SCHEMA_V1_1 : METRICS_SCHEMA_V1;
    const w = new MetricsFileWriter(payload, 'ndjson', { schema });
    for (const s of o.samples) await w.write(s);
    records = (await w.close()).records;
    const files: BundleFileSource[] = [{ name: 'metrics.ndjson.gz', path: payload, schema, records }];
    if (excerpts.length > 0) {
      const text = excerpts.map((e) => `${JSON.stringify({ host: e.host, time: e.time, source: e.source, line: e.line.slice(0, MAX_LOG_EXCERPT_CHARS) })}\n`).join('');
      files.push({ name: LOG_EXCERPTS_FILE, data: gzipSync(text), schema: LOG_EXCERPTS_SCHEMA_V1, records: excerpts.length });
    }
    files.push(...(o.extra ?? []));
    return files;
  });
  return { ...b, records, excerpts: excerpts.length };
}
