import { ROLLOUT_PROGRESS_FILE, ROLLOUT_PROGRESS_SCHEMA_V1, type RolloutProgressFile } from '../../../../core/policy/canary/rollout-progress.js';
import { writeMetricsBundle as writePlainMetricsBundle, type MetricsBundleInput, type WrittenMetricsBundle } from '../collect/metrics-bundle.js';
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
  const file = { name: ROLLOUT_PROGRESS_FILE, data: Buffer.from(`${JSON.stringify(rollout, null, 2)}\n`), schema: ROLLOUT_PROGRESS_SCHEMA_V1, records: rollout.rollouts.length };
  return writePlainMetricsBundle({ ...o, extra: [...(o.extra ?? []), file] });
}
