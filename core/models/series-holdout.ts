import { createHash } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { readSeriesWindows, type SeriesRef, type SeriesWindows } from './features/hourly-features.js';
import { holdoutResiduals, type DetectorParams, type HoldoutResiduals } from './risk-detector.js';

/** What training needs of a slice of series: their features from windowFrom, baselines before holdoutFrom, the holdout up to windowTo. */
export interface HoldoutTask {
  kind: 'holdout';
  home: string;
  refs: SeriesRef[];
  params: DetectorParams;
  windowFrom: number;
  holdoutFrom: number;
  windowTo: number;
}

/** A series' training holdout and the SHA-256 of its features (model-registry hashes these in order). */
export interface SeriesHoldout extends HoldoutResiduals {
  readonly digest: Uint8Array;
}

/** SHA-256 of what a series yields to training: host, certificate, window count, window times and features. */
export function seriesDigest(s: SeriesWindows): Uint8Array {
  const h = createHash('sha256');
  h.update(`${s.host}\0${s.certSha256}\0${s.times.length}\0`);
  h.update(new Uint8Array(s.times.buffer, s.times.byteOffset, s.times.byteLength));
  h.update(new Uint8Array(s.x.buffer, s.x.byteOffset, s.x.byteLength));
  return new Uint8Array(h.digest());
}

export function holdoutSlice(db: Database, task: HoldoutTask): SeriesHoldout[] {
  return task.refs.map((ref) => {
    const s = readSeriesWindows(db, ref, task.windowFrom, task.windowTo);
    return { ...holdoutResiduals(s, task.windowFrom, task.holdoutFrom, task.windowTo, task.params), digest: seriesDigest(s) };
  });
}

