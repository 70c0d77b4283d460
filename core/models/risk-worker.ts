import { serveTasks } from '../threads/task-server.js';
import { openStore, type Store } from '../store/database.js';
import { IsolationForest } from './isolation-forest.js';
import { RiskDetector } from './risk-detector.js';
import type { RiskTask, ScoringReply } from './risk-threads.js';
import { holdoutSlice, type SeriesHoldout } from './series-holdout.js';
import { certificateLookup, scoreSeries, type SeriesTimings } from './series-scoring.js';

/**
 * A risk thread: works on a contiguous slice of the fleet's series on its own read-only
 * connection to the home's database — scoring it, or computing its training holdout. The main
 * thread keeps everything order-dependent (the training reservoir, the data hash) and every write.
 */
let open: { home: string; store: Store } | null = null;
let loaded: { home: string; version: number; detector: RiskDetector } | null = null;

export function runRiskTask(task: RiskTask): ScoringReply | SeriesHoldout[] {
  if (open?.home !== task.home) {
    open?.store.close();
    open = { home: task.home, store: openStore(task.home, { readonly: true }) };
  }
  if (task.kind === 'holdout') return holdoutSlice(open.store.db, task);
  // Model versions never change once stored; certificate, CRL and OCSP facts may, so they are read per task.
  if (loaded?.home !== task.home || loaded.version !== task.modelVersion) {
    loaded = { home: task.home, version: task.modelVersion, detector: new RiskDetector(task.params, IsolationForest.fromBytes(task.model)) };
  }
  const timings: SeriesTimings = { features: 0, detectors: 0, degradation: 0 };
  return { rows: scoreSeries(open.store.db, task.refs, loaded.detector, certificateLookup(open.store.db), task.window, timings), timings };
}

serveTasks(runRiskTask as (task: never) => unknown);
