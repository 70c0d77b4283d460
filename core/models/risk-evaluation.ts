import { generateSamples, makeHosts, type HostProfile } from '../bundles/simulation/metric-generator.js';
import { riskScenario, type IncidentLabel, type RiskScenarioName } from '../bundles/simulation/risk-scenarios.js';
import { dailyP95, handshakeTrend, referenceP95 } from './degradation-risk.js';
import { FEATURE_COUNT, windowFeatures } from './features/feature-set.js';
import { countMapText, type SeriesWindows } from './features/hourly-features.js';
import { ALARM_COMBINED, ALARM_FOREST, ALARM_STAT, confirmAlarms, forestRows, residuals, RiskDetector, type DetectorParams, type TrainingEvaluation } from './risk-detector.js';

/**
 * The evaluation of the risk models on labelled simulated fleets. The detector is trained on one
 * seed's fleet (benign behaviour: weekly cycle, growth) and judged on another seed's fleets, one
 * per scenario, scored day by day with rolling baselines as the console scores imports.
 */

export interface EvaluationOptions {
  hosts: number;
  trainSeed: number;
  evalSeed: number;
  /** Days before the test period (the baselines' history); default 21. */
  historyDays?: number;
  /** Days scored; default 14. */
  testDays?: number;
  /** Days simulated for the degradation scenario (it needs the slow creep to reach its breach); default 56. */
  degradationDays?: number;
  /** Daily growth of handshake times in the degradation scenario; default 0.025. */
  degradationPerDay?: number;
  detector?: Partial<DetectorParams>;
  /** Other isolation forests scored on the same residual rows, calibrated like ours. */
  references?: ReferenceForest[];
  onProgress?: (message: string) => void;
}

/** A reference forest: fit on training rows, return anomaly scores (higher = more anomalous) for rows. */
export interface ReferenceForest {
  readonly name: string;
  fitScore(train: Float64Array, test: Float64Array, cols: number): { train: Float64Array; test: Float64Array } | null;
}

export interface DetectorFigures {
  detector: string;
  incidents: number;
  detected: number;
  recall: number | null;
  precision: number | null;
  /** Windows from an incident's start to its first alarm, counting the alarming window (1 = the first window). */
  meanWindowsToDetect: number | null;
  maxWindowsToDetect: number | null;
  alarms: number;
  falseAlarms: number;
  falseAlarmsPer1000HostDays: number;
}

export interface DegradationFigures {
  hosts: number;
  breached: number;
  predicted: number;
  /** Days from the first prediction to the breach, per predicted host. */
  minDaysAhead: number | null;
  medianDaysAhead: number | null;
  /** Hosts without degradation for which a breach was predicted. */
  falsePredictions: number;
}

export interface ScenarioFigures {
  scenario: RiskScenarioName;
  hosts: number;
  hostDays: number;
  detectors: DetectorFigures[];
  degradation?: DegradationFigures;
}

export interface EvaluationReport {
  training: TrainingEvaluation;
  params: DetectorParams;
  scenarios: ScenarioFigures[];
  seconds: number;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
export const EVAL_START = Date.UTC(2026, 0, 5);

/** Simulates hourly windows for every host under a scenario (as the console's hourly aggregation would read them). */
export function simulateWindows(hosts: readonly HostProfile[], scenario: RiskScenarioName, seed: number, days: number, incidentFrom: number, incidentTo: number, degradationPerDay?: number): { series: SeriesWindows[]; labels: (IncidentLabel | null)[] } {
  const sc = riskScenario(scenario, { seed, intervalS: 3600, startFrom: incidentFrom * 24, startTo: incidentTo * 24, degradationPerDay });
  const steps = days * 24;
  const series = hosts.map((h) => {
    const times = new Float64Array(steps);
    const x = new Float64Array(steps * FEATURE_COUNT);
    let i = 0;
    for (const s of generateSamples(h, { start: new Date(EVAL_START), steps, intervalS: 3600, seed, scenarios: [sc] })) {
      times[i] = EVAL_START + i * HOUR_MS;
      windowFeatures({
        attempted: s.hs_attempted, succeeded: s.hs_succeeded, failed: s.hs_failed, failedBy: countMapText(s.hs_failed_by),
        p50: s.hs_p50_ms, p95: s.hs_p95_ms, protocols: countMapText(s.protocols), ciphers: countMapText(s.ciphers),
        clients: s.client_ips_distinct, newClients: s.client_ips_new, cpu: s.cpu_pct, mem: s.mem_pct,
        netBytes: s.net_rx_bytes + s.net_tx_bytes, validation: countMapText(s.cert_validation_errors),
      }, x, i * FEATURE_COUNT);
      i++;
    }
    return { seriesId: h.index, host: h.host, certSha256: h.cert, times, x };
  });
  return { series, labels: hosts.map((h) => sc.label(h)) };
}

/** Residual rows of the last holdoutDays of the window [0, historyDays) — what the forest is trained on. */
function holdoutRows(series: readonly SeriesWindows[], p: DetectorParams, historyDays: number): Float64Array {
  const to = EVAL_START + historyDays * DAY_MS;
  const from = to - p.holdoutDays * DAY_MS;
  const parts = series.map((s) => forestRows(residuals(s, EVAL_START, from, from, to).z, p.zClip));
  const out = new Float64Array(parts.reduce((a, b) => a + b.length, 0));
  let k = 0;
  for (const part of parts) {
    out.set(part, k);
    k += part.length;
  }
  return out;
}

function quantile(sorted: Float64Array, q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

export function evaluateModels(o: EvaluationOptions): EvaluationReport {
  const t0 = performance.now();
  const progress = o.onProgress ?? (() => undefined);
  const historyDays = o.historyDays ?? 21;
  const testDays = o.testDays ?? 14;
  const days = historyDays + testDays;
  progress(`training on seed ${o.trainSeed}: ${o.hosts} hosts × ${historyDays} days`);
  const trainHosts = makeHosts(o.hosts, o.trainSeed);
  const train = simulateWindows(trainHosts, 'benign', o.trainSeed, historyDays, historyDays + 1, historyDays + 2);
  const { detector, evaluation } = RiskDetector.train(train.series, EVAL_START, EVAL_START + historyDays * DAY_MS, o.detector);
  const p = detector.params;
  const refs = (o.references ?? []).map((r) => ({ ref: r, trainRows: holdoutRows(train.series, p, historyDays) }));

  const scenarios: ScenarioFigures[] = [];
  for (const name of ['compromise', 'misconfiguration', 'degradation', 'benign'] as const) {
    const simDays = name === 'degradation' ? Math.max(days, o.degradationDays ?? 56) : days;
    progress(`scenario ${name}: ${o.hosts} hosts × ${simDays} days (seed ${o.evalSeed})`);
    const hosts = makeHosts(o.hosts, o.evalSeed);
    // Degradation starts early enough for its breach to fall inside the simulation.
    const [from, to] = name === 'degradation' ? [historyDays - 7, historyDays] : [historyDays + 1, days - 1];
    const { series, labels } = simulateWindows(hosts, name, o.evalSeed, simDays, from, to, o.degradationPerDay);
    const testFrom = EVAL_START + historyDays * DAY_MS;
    const testTo = testFrom + testDays * DAY_MS;
    const perHost = series.map((s) => {
      const alarms: Uint8Array[] = [];
      const stat: Float64Array[] = [];
      const z: Float64Array[] = [];
      for (let d = testFrom; d < testTo; d += DAY_MS) {
        const a = detector.assess(s, d, d + DAY_MS);
        alarms.push(a.alarms);
        stat.push(a.stat);
        z.push(forestRows(a.residuals.z, p.zClip));
      }
      return { alarms: concat(alarms, Uint8Array), stat: concat(stat, Float64Array), z: concat(z, Float64Array) };
    });
    const testStep = historyDays * 24;
    const hostDays = o.hosts * testDays;
    const detectors: DetectorFigures[] = [
      figures('statistical', perHost.map((h) => h.alarms), ALARM_STAT, labels, testStep, hostDays),
      figures('isolation-forest', perHost.map((h) => h.alarms), ALARM_FOREST, labels, testStep, hostDays),
      figures('combined', perHost.map((h) => h.alarms), ALARM_COMBINED, labels, testStep, hostDays),
    ];
    for (const { ref, trainRows } of refs) {
      const test = concat(perHost.map((h) => h.z), Float64Array);
      const scored = ref.fitScore(trainRows, test, FEATURE_COUNT);
      if (!scored) continue;
      const sorted = scored.train.slice().sort();
      const thr = quantile(sorted, p.forestQuantile);
      const strong = Math.max(thr, quantile(sorted, p.forestStrongQuantile));
      let k = 0;
      const alarms = perHost.map((h) => {
        const n = h.alarms.length;
        const a = confirmAlarms(scored.test.subarray(k, k + n), thr, strong);
        k += n;
        return a;
      });
      detectors.push(figures(ref.name, alarms, 1, labels, testStep, hostDays));
    }
    scenarios.push({ scenario: name, hosts: o.hosts, hostDays, detectors, ...(name === 'degradation' ? { degradation: degradationFigures(series, labels, historyDays, simDays) } : {}) });
  }
  return { training: evaluation, params: p, scenarios, seconds: (performance.now() - t0) / 1000 };
}

function concat<T extends Uint8Array | Float64Array>(parts: T[], C: { new(n: number): T }): T {
  const out = new C(parts.reduce((a, b) => a + b.length, 0));
  let k = 0;
  for (const p of parts) {
    out.set(p as never, k);
    k += p.length;
  }
  return out;
}

/** Recall, precision, windows to detect and false alarms of one detector's alarm bit. */
function figures(name: string, alarms: readonly Uint8Array[], bit: number, labels: readonly (IncidentLabel | null)[], testStep: number, hostDays: number): DetectorFigures {
  let incidents = 0;
  let detected = 0;
  let alarmCount = 0;
  let falseAlarms = 0;
  const ttd: number[] = [];
  alarms.forEach((a, h) => {
    const l = labels[h];
    const start = l ? l.start - testStep : Infinity;
    const end = l ? Math.min(l.end - testStep, a.length) : -Infinity;
    if (l && start >= 0 && start < a.length) {
      incidents++;
      for (let i = start; i < end; i++) {
        if (a[i] & bit) {
          detected++;
          ttd.push(i - start + 1);
          break;
        }
      }
    }
    for (let i = 0; i < a.length; i++) {
      if (!(a[i] & bit) || (i > 0 && a[i - 1] & bit)) continue;
      alarmCount++;
      let j = i;
      while (j + 1 < a.length && a[j + 1] & bit) j++;
      // An episode is true when it overlaps the incident (or its two windows of afterglow).
      if (!(j >= start && i < end + 2)) falseAlarms++;
    }
  });
  return {
    detector: name, incidents, detected,
    recall: incidents ? detected / incidents : null,
    precision: alarmCount ? (alarmCount - falseAlarms) / alarmCount : null,
    meanWindowsToDetect: ttd.length ? ttd.reduce((a, b) => a + b, 0) / ttd.length : null,
    maxWindowsToDetect: ttd.length ? Math.max(...ttd) : null,
    alarms: alarmCount, falseAlarms,
    falseAlarmsPer1000HostDays: (1000 * falseAlarms) / hostDays,
  };
}

/** Forecasts each host's p95 every day and compares the first prediction with the actual breach. */
function degradationFigures(series: readonly SeriesWindows[], labels: readonly (IncidentLabel | null)[], historyDays: number, simDays: number, factor = 2): DegradationFigures {
  const ahead: number[] = [];
  let breached = 0;
  let falsePredictions = 0;
  series.forEach((s, h) => {
    const l = labels[h];
    const daily = dailyP95(s, EVAL_START, EVAL_START + simDays * DAY_MS);
    let breachDay: number | null = null;
    if (l) {
      const startDay = Math.floor(l.start / 24);
      const reference = referenceP95(daily.values.slice(0, startDay));
      const k = daily.values.findIndex((v, d) => d >= startDay && v >= factor * reference);
      breachDay = k >= 0 ? k : null;
      if (breachDay !== null) breached++;
    }
    for (let d = 7; d < simDays; d++) {
      if (breachDay !== null && d > breachDay) break;
      const trend = handshakeTrend(s, EVAL_START + d * DAY_MS, { factor });
      if (trend.factor) {
        if (breachDay !== null) ahead.push(breachDay - d);
        else if (!l) falsePredictions++;
        break;
      }
    }
  });
  ahead.sort((a, b) => a - b);
  return {
    hosts: labels.filter(Boolean).length, breached, predicted: ahead.length,
    minDaysAhead: ahead.length ? ahead[0] : null,
    medianDaysAhead: ahead.length ? ahead[Math.floor(ahead.length / 2)] : null,
    falsePredictions,
  };
}
