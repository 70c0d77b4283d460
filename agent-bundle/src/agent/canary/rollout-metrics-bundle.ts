import { gzipSync } from 'node:zlib';
import type { BundleFileSource } from '../../../../core/bundles/bundle-writer.js';
import { LOG_EXCERPTS_FILE, LOG_EXCERPTS_SCHEMA_V1, MAX_LOG_EXCERPT_CHARS, MAX_LOG_EXCERPT_LINES } from '../../../../core/bundles/payloads/log-excerpts.js';
import { METRICS_SCHEMA_V1 } from '../../../../core/bundles/payloads/metrics-fields.js';
import { MetricsFileWriter } from '../../../../core/bundles/payloads/metrics-writer.js';
import { ROLLOUT_PROGRESS_FILE, ROLLOUT_PROGRESS_SCHEMA_V1, type RolloutProgressFile } from '../../../../core/policy/canary/rollout-progress.js';
import { writeMetricsBundle as writePlainMetricsBundle, writeOutboxBundle, type MetricsBundleInput, type WrittenMetricsBundle } from '../collect/metrics-bundle.js';
import { readCanaryState, rolloutReportOf } from './canary-state.js';

/** A finished rollout is still reported for this long, so the console learns how it ended. */
export const REPORT_FINISHED_FOR_MS = 7 * 86_400_000;

/** The rollout.json the next metrics bundle carries: the rollout in canary-state.json while running and for a week after. */
export async function rolloutProgressFor(o: Pick<MetricsBundleInput, 'layout' | 'now'>): Promise<RolloutProgressFile | null> {
  const s = await readCanaryState(o.layout);
  if (!s) return null;
  if (s.finishedAt && o.now.getTime() - Date.parse(s.finishedAt) > REPORT_FINISHED_FOR_MS) return null;
  return { schema: ROLLOUT_PROGRESS_SCHEMA_V1, rollouts: [rolloutReportOf(s)] };
}

export interface RolloutMetricsBundleInput extends MetricsBundleInput {
  /** Default: read from canary-state.json; null: none. */
  rollout?: RolloutProgressFile | null;
}

/**
 * writeMetricsBundle plus, when the agent runs (or recently ran) a canary rollout, rollout.json
 * (coldroot.rollout-progress.v1) beside metrics.ndjson.gz. Without a rollout the bundle is exactly
 * the plain metrics bundle.
 */
export async function writeMetricsBundle(o: RolloutMetricsBundleInput): Promise<WrittenMetricsBundle> {
  const rollout = o.rollout === undefined ? await rolloutProgressFor(o) : o.rollout;
  if (!rollout) return writePlainMetricsBundle(o);
  // The plain writer checks the inputs (no samples, too many excerpts); it is the reference for them.
  if (o.samples.length === 0 || (o.excerpts?.length ?? 0) > MAX_LOG_EXCERPT_LINES) return writePlainMetricsBundle(o);
  const excerpts = o.excerpts ?? [];
  let records = 0;
  const b = await writeOutboxBundle(o, 'metrics', async (payload) => {
    const w = new MetricsFileWriter(payload, 'ndjson');
    for (const s of o.samples) await w.write(s);
    records = (await w.close()).records;
    const files: BundleFileSource[] = [{ name: 'metrics.ndjson.gz', path: payload, schema: METRICS_SCHEMA_V1, records }];
    if (excerpts.length > 0) {
      const text = excerpts.map((e) => `${JSON.stringify({ host: e.host, time: e.time, source: e.source, line: e.line.slice(0, MAX_LOG_EXCERPT_CHARS) })}\n`).join('');
      files.push({ name: LOG_EXCERPTS_FILE, data: gzipSync(text), schema: LOG_EXCERPTS_SCHEMA_V1, records: excerpts.length });
    }
    files.push({ name: ROLLOUT_PROGRESS_FILE, data: Buffer.from(`${JSON.stringify(rollout, null, 2)}\n`), schema: ROLLOUT_PROGRESS_SCHEMA_V1, records: rollout.rollouts.length });
    return files;
  });
  return { ...b, records, excerpts: excerpts.length };
}
