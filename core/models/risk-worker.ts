import { serveTasks } from '../ca/batch/task-server.js';
import { openStore, type Store } from '../store/database.js';
import type { SeriesRef } from './features/hourly-features.js';
import { IsolationForest } from './isolation-forest.js';
import { RiskDetector, type DetectorParams } from './risk-detector.js';
import { certificateLookup, scoreSeries, type ScoredRow, type ScoringWindow, type SeriesTimings } from './series-scoring.js';

/**
 * A scoring thread: scores a contiguous slice of the fleet's series on its own read-only
 * connection to the home's database. The main thread keeps the policy and every write.
 */
export interface ScoringTask {
  home: string;
  modelVersion: number;
  params: DetectorParams;
  model: Uint8Array;
  refs: SeriesRef[];
  window: ScoringWindow;
}

export interface ScoringReply {
  rows: ScoredRow[];
  timings: SeriesTimings;
}

let open: { home: string; store: Store } | null = null;
let loaded: { home: string; version: number; detector: RiskDetector } | null = null;

export function runScoringTask(task: ScoringTask): ScoringReply {
  if (open?.home !== task.home) {
    open?.store.close();
    open = { home: task.home, store: openStore(task.home, { readonly: true }) };
  }
  // Model versions never change once stored; certificate, CRL and OCSP facts may, so they are read per task.
  if (loaded?.home !== task.home || loaded.version !== task.modelVersion) {
    loaded = { home: task.home, version: task.modelVersion, detector: new RiskDetector(task.params, IsolationForest.fromBytes(task.model)) };
  }
  const timings: SeriesTimings = { features: 0, detectors: 0, degradation: 0 };
  return { rows: scoreSeries(open.store.db, task.refs, loaded.detector, certificateLookup(open.store.db), task.window, timings), timings };
}

serveTasks(runScoringTask as (task: never) => unknown);
