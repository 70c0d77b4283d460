import { createHash } from 'node:crypto';
import type { OperationContext } from '../ca/operation-context.js';
import { ColdrootError } from '../errors.js';
import { FEATURE_COUNT } from './features/feature-set.js';
import { listSeries, WINDOW_SECONDS, type SeriesRef } from './features/hourly-features.js';
import { IsolationForest } from './isolation-forest.js';
import { checkTrainingWindow, RiskDetector, trainingParams, type DetectorParams, type TrainingEvaluation } from './risk-detector.js';
import { inSeriesOrder, riskThreads } from './risk-threads.js';
import { holdoutSlice, type HoldoutTask, type SeriesHoldout } from './series-holdout.js';

/**
 * Trained risk models, versioned in SQLite (model_versions): the training window, the parameters
 * (thresholds calibrated at training included), the SHA-256 of the feature data it saw, its
 * evaluation on the training holdout, and the compact isolation forest. The data hash is SHA-256
 * over each series' own SHA-256 (series-holdout.ts seriesDigest) in series order, so threads can
 * hash their slices. Scores name the version
 * that made them, so an operator can tell which model raised an action.
 */

export const MODEL_KIND = 'risk-detector/v1';
const DAY_MS = 86_400_000;

export interface ModelVersion {
  id: number;
  kind: string;
  createdAt: string;
  createdBy: string;
  windowStart: string;
  windowEnd: string;
  params: DetectorParams;
  dataSha256: string;
  evaluation: TrainingEvaluation;
  modelBytes: number;
}

export interface TrainModelInput {
  /** Days of metrics to train on, ending at the newest imported window; default 28. */
  windowDays?: number;
  seed?: number;
  /** Overrides of the detector's parameters (thresholds, trees…). */
  params?: Partial<Omit<DetectorParams, 'features' | 'forestThreshold' | 'forestStrong'>>;
  /** Threads computing the series' holdouts; default as risk-threads.ts riskThreads. The model is the same. */
  threads?: number;
}

/** End of the newest imported hourly window, capped at the clock: what training and scoring look back from. */
export function metricsHorizon(ctx: OperationContext): number {
  // Per series along the (series_id, t) index: a plain max(t) reads the whole index.
  const t = ctx.store.db.prepare('SELECT max((SELECT max(t) FROM metric_samples WHERE series_id = s.id)) FROM metric_series s').pluck().get() as number | null;
  if (t === null) {
    throw new ColdrootError('NO_METRICS', 'No metric samples have been imported into this home',
      'Import metrics bundles first: coldroot bundle import FILE…');
  }
  const end = (Math.floor(t / WINDOW_SECONDS) + 1) * WINDOW_SECONDS * 1000;
  return Math.min(end, Math.ceil(ctx.now().getTime() / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000);
}

export function trainModel(ctx: OperationContext, input: TrainModelInput = {}): ModelVersion {
  const windowDays = input.windowDays ?? 28;
  if (!Number.isInteger(windowDays) || windowDays < 14 || windowDays > 365) {
    throw new ColdrootError('MODEL_BAD_WINDOW', `--window-days ${windowDays} must be a whole number of days from 14 to 365`,
      'Train on 14 or more days: a week of baseline and a week of holdout at the least.');
  }
  const seed = input.seed ?? 1;
  const end = metricsHorizon(ctx);
  const start = end - windowDays * DAY_MS;
  const p = trainingParams({ ...input.params, seed });
  const holdoutFrom = checkTrainingWindow(p, start, end);
  const refs = listSeries(ctx.store.db);
  const threads = riskThreads(refs.length, input.threads);
  const task = (slice: SeriesRef[]): HoldoutTask => ({ kind: 'holdout', home: ctx.store.home, refs: slice, params: p, windowFrom: start, holdoutFrom, windowTo: end });
  // The data hash covers every series' features through its digest, in the series' order, however many threads computed them.
  const hash = createHash('sha256');
  hash.update(`${MODEL_KIND}\0${FEATURE_COUNT}\0`);
  function* holdouts(): Generator<SeriesHoldout> {
    const slices = threads > 1 ? inSeriesOrder<SeriesHoldout[]>(refs, threads, task) : refs.map((ref) => holdoutSlice(ctx.store.db, task([ref])));
    for (const slice of slices) {
      for (const h of slice) {
        hash.update(h.digest);
        yield h;
      }
    }
  }
  const { detector, evaluation } = RiskDetector.trainOnHoldouts(holdouts(), start, end, p);
  const bytes = detector.forest.toBytes();
  const row = {
    kind: MODEL_KIND, createdAt: ctx.now().toISOString(), createdBy: ctx.operator,
    windowStart: new Date(start).toISOString(), windowEnd: new Date(end).toISOString(),
    params: JSON.stringify(detector.params), dataSha256: hash.digest('hex'), evaluation: JSON.stringify(evaluation), model: Buffer.from(bytes),
  };
  const id = ctx.store.transaction(() => {
    const info = ctx.store.db.prepare(`INSERT INTO model_versions (kind, created_at, created_by, window_start, window_end, params, data_sha256, evaluation, model)
      VALUES (@kind, @createdAt, @createdBy, @windowStart, @windowEnd, @params, @dataSha256, @evaluation, @model)`).run(row);
    const id = Number(info.lastInsertRowid);
    ctx.store.audit.append({
      actor: ctx.operator, role: ctx.role ?? null, action: 'models.train', inputs: { params: detector.params, model: bytes }, outcome: 'ok',
      details: { modelVersion: id, windowStart: row.windowStart, windowEnd: row.windowEnd, dataSha256: row.dataSha256, series: evaluation.series },
    }, ctx.now());
    return id;
  });
  return getModel(ctx, id);
}

interface ModelRow { id: number; kind: string; createdAt: string; createdBy: string; windowStart: string; windowEnd: string; params: string; dataSha256: string; evaluation: string; bytes: number }
const SELECT = `SELECT id, kind, created_at AS createdAt, created_by AS createdBy, window_start AS windowStart, window_end AS windowEnd,
  params, data_sha256 AS dataSha256, evaluation, length(model) AS bytes FROM model_versions`;

function fromRow(r: ModelRow): ModelVersion {
  return { ...r, params: JSON.parse(r.params) as DetectorParams, evaluation: JSON.parse(r.evaluation) as TrainingEvaluation, modelBytes: r.bytes };
}

export function listModels(ctx: OperationContext): ModelVersion[] {
  return (ctx.store.db.prepare(`${SELECT} ORDER BY id DESC`).all() as ModelRow[]).map(fromRow);
}

export function getModel(ctx: OperationContext, id: number): ModelVersion {
  const r = ctx.store.db.prepare(`${SELECT} WHERE id = ?`).get(id) as ModelRow | undefined;
  if (!r) throw new ColdrootError('MODEL_NOT_FOUND', `No model version ${id}`, 'List the versions with: coldroot models list');
  return fromRow(r);
}

/** The detector of a version (default: the newest). */
export function loadDetector(ctx: OperationContext, id?: number): { version: ModelVersion; detector: RiskDetector } {
  const vid = id ?? (ctx.store.db.prepare('SELECT max(id) FROM model_versions').pluck().get() as number | null);
  if (vid === null) {
    throw new ColdrootError('NO_MODEL', 'No risk model has been trained in this home', 'Train one on the imported metrics: coldroot models train');
  }
  const version = getModel(ctx, vid);
  const bytes = ctx.store.db.prepare('SELECT model FROM model_versions WHERE id = ?').pluck().get(vid) as Buffer;
  return { version, detector: new RiskDetector(version.params, IsolationForest.fromBytes(new Uint8Array(bytes))) };
}
