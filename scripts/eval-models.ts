/**
 * npm run eval:models [-- --hosts N --train-seed S --eval-seed S --json]
 * Trains the risk detector on one seed's simulated fleet and evaluates it on another seed's
 * labelled scenarios (core/bundles/simulation/risk-scenarios.ts): precision, recall, windows to
 * detect and false alarms per 1,000 host-days for each detector, days-ahead for degradation.
 * ml-isolation-forest and scikit-learn (/usr/bin/python3 with sklearn) are scored on the same
 * residual rows as references, calibrated at the same quantiles.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { IsolationForest as MlIsolationForest } from 'ml-isolation-forest';
import { evaluateModels, type ReferenceForest } from '../core/models/risk-evaluation.js';
import { SeededRandom } from '../core/models/seeded-random.js';

const { values: a } = parseArgs({ options: { 'hosts': { type: 'string', default: '200' }, 'train-seed': { type: 'string', default: '1' }, 'eval-seed': { type: 'string', default: '2' }, 'json': { type: 'boolean', default: false }, 'no-references': { type: 'boolean', default: false } } });

const rows = (data: Float64Array, cols: number, max: number, seed: number): number[][] => {
  const n = data.length / cols;
  const pick = n <= max ? Array.from({ length: n }, (_, i) => i) : Array.from({ length: max }, () => new SeededRandom(seed).nextInt(n));
  const r = new SeededRandom(seed, 3);
  return (n <= max ? pick : pick.map(() => r.nextInt(n))).map((i) => Array.from(data.subarray(i * cols, i * cols + cols)));
};

const mlReference: ReferenceForest = {
  name: 'ml-isolation-forest',
  // It grows every tree on all the rows it is given: 5,000 sampled training rows keep the fit to seconds.
  fitScore(train, test, cols) {
    const f = new MlIsolationForest({ nEstimators: 100 });
    f.train(rows(train, cols, 5000, 11));
    const score = (d: Float64Array) => {
      const out = new Float64Array(d.length / cols);
      for (let k = 0; k < out.length; k += 20_000) out.set(f.predict(rows(d.subarray(k * cols, Math.min(out.length, k + 20_000) * cols), cols, Infinity, 0)), k);
      return out;
    };
    return { train: score(train), test: score(test) };
  },
};

const SKLEARN = `
import sys, numpy as np
from sklearn.ensemble import IsolationForest
d, cols = sys.argv[1], int(sys.argv[2])
train = np.fromfile(d + '/train.f64').reshape(-1, cols)
test = np.fromfile(d + '/test.f64').reshape(-1, cols)
f = IsolationForest(n_estimators=100, max_samples=256, random_state=1).fit(train)
(-f.score_samples(train)).astype('<f8').tofile(d + '/train.out')
(-f.score_samples(test)).astype('<f8').tofile(d + '/test.out')
`;

function sklearnReference(): ReferenceForest | null {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import sklearn'], { stdio: 'ignore' });
  } catch {
    return null;
  }
  return {
    name: 'scikit-learn',
    fitScore(train, test, cols) {
      const dir = mkdtempSync(join(tmpdir(), 'coldroot-eval-'));
      try {
        writeFileSync(join(dir, 'train.f64'), train);
        writeFileSync(join(dir, 'test.f64'), test);
        execFileSync('/usr/bin/python3', ['-c', SKLEARN, dir, String(cols)], { stdio: ['ignore', 'ignore', 'inherit'] });
        const read = (f: string) => { const b = readFileSync(join(dir, f)); return new Float64Array(b.buffer, b.byteOffset, b.byteLength / 8).slice(); };
        return { train: read('train.out'), test: read('test.out') };
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}

const references = a['no-references'] ? [] : [mlReference, ...(sklearnReference() ? [sklearnReference()!] : [])];
const report = evaluateModels({
  hosts: Number(a.hosts), trainSeed: Number(a['train-seed']), evalSeed: Number(a['eval-seed']), references,
  onProgress: (m) => process.stderr.write(`${m}\n`),
});
if (a.json) {
  process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
} else {
  const f = (v: number | null, d = 3) => (v === null ? '—' : v.toFixed(d));
  console.log(`Risk model evaluation: ${a.hosts} hosts a scenario, trained on seed ${a['train-seed']}, evaluated on seed ${a['eval-seed']}; ${report.params.baselineDays}-day baselines, hourly windows, 14 days scored.`);
  console.log(`Training: ${report.training.series} series, ${report.training.trainingRows} holdout rows; forest thresholds ${report.training.forestThreshold.toFixed(4)} / ${report.training.forestStrong.toFixed(4)}\n`);
  console.log('scenario          detector              incidents  recall  precision  windows-to-detect (mean/max)  false alarms  per 1,000 host-days');
  for (const s of report.scenarios) {
    for (const d of s.detectors) {
      console.log(`${s.scenario.padEnd(17)} ${d.detector.padEnd(21)} ${String(d.incidents).padStart(9)}  ${f(d.recall).padStart(6)}  ${f(d.precision).padStart(9)}  ${`${f(d.meanWindowsToDetect, 2)} / ${d.maxWindowsToDetect ?? '—'}`.padStart(28)}  ${String(d.falseAlarms).padStart(12)}  ${d.falseAlarmsPer1000HostDays.toFixed(2).padStart(19)}`);
    }
    if (s.degradation) {
      const g = s.degradation;
      console.log(`${''.padEnd(17)} forecast: ${g.hosts} degrading hosts, ${g.breached} breached, ${g.predicted} predicted; days ahead min ${g.minDaysAhead ?? '—'}, median ${g.medianDaysAhead ?? '—'}; ${g.falsePredictions} false predictions on ${s.hosts - g.hosts} steady hosts`);
    }
  }
  console.log(`\n${report.seconds.toFixed(1)} s`);
}
