/**
 * Isolation forest benchmark: fit on 100,000 rows and score 1,000,000 rows of 12 features, with
 * ml-isolation-forest and scikit-learn (when /usr/bin/python3 has it) on the same data.
 *
 *   node --import tsx scripts/bench-models.ts [--json] [--fit-rows N] [--score-rows N] [--no-pipeline | --pipeline-only] [--hosts N] [--days N]
 *
 * Then the whole risk pipeline (scripts/bench-models.ts --pipeline-only): simulated hourly metrics
 * for 10,000 hosts × 30 days written straight into SQLite (metric_samples, not through bundles),
 * a model trained on them, and the console's scoring run (features from SQL, baselines,
 * detectors, risk and degradation scores, policy, writes), each stage in its own process.
 *
 * Each implementation runs in its own process so that its peak memory is its own; the data is
 * generated once (seeded) and shared through files in a temp directory.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { featureMatrix } from '../core/models/feature-matrix.js';
import { IsolationForest } from '../core/models/isolation-forest.js';
import { SeededRandom } from '../core/models/seeded-random.js';
import { arg, mib, peakRss } from './bench/bench-util.js';

const COLS = 12;
const ML_FIT_ROWS = 10_000;
const ML_SCORE_ROWS = 50_000;
const PYTHON = '/usr/bin/python3';

interface Result {
  name: string;
  fitRows: number;
  fitSeconds: number;
  scoreRows: number;
  scoreSeconds: number;
  /** CPU time of the first scoring run: the machine may be shared, wall time then overstates. */
  scoreCpuSeconds?: number;
  /** Best of the repeated scoring runs, when repeated. */
  bestScoreSeconds?: number;
  serializedBytes: number | null;
  serializedNote?: string;
  rssBeforeMiB: number;
  peakRssMiB: number;
  note?: string;
}

/**
 * Host-like rows: three operating modes with correlated features. 0.1% are planted outliers,
 * half shifted far in every feature ("global", planted = 1) and half in only 4 of the 12
 * ("partial", planted = 2), as when one group of metrics goes wrong.
 */
function generate(rows: number, seed: number): { data: Float64Array; planted: Uint8Array } {
  const r = new SeededRandom(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - r.nextFloat())) * Math.cos(2 * Math.PI * r.nextFloat());
  const centres = [0, 4, -3];
  const data = new Float64Array(rows * COLS);
  const planted = new Uint8Array(rows);
  for (let i = 0; i < rows; i++) {
    const centre = centres[r.nextInt(3)];
    const shared = gauss();
    const kind = r.nextFloat() < 0.001 ? 1 + r.nextInt(2) : 0;
    planted[i] = kind;
    for (let c = 0; c < COLS; c++) {
      const shifted = kind === 1 || (kind === 2 && c % 3 === 0);
      data[i * COLS + c] = centre + 0.7 * shared + 0.7 * gauss() + (shifted ? 8 + 4 * r.nextFloat() : 0);
    }
  }
  return { data, planted };
}

function readMatrix(path: string): Float64Array {
  const buf = readFileSync(path);
  return new Float64Array(buf.buffer, buf.byteOffset, buf.byteLength / 8);
}

function rss(): number {
  return mib(process.memoryUsage().rss);
}

function workerOurs(dir: string, maxSamples: number): Result {
  const fit = featureMatrix(readMatrix(join(dir, 'fit.bin')), COLS);
  const score = featureMatrix(readMatrix(join(dir, 'score.bin')), COLS);
  const rssBeforeMiB = rss();
  let t = performance.now();
  const forest = IsolationForest.fit(fit, { seed: 1, maxSamples });
  const fitSeconds = (performance.now() - t) / 1000;
  const out = new Float64Array(score.rows);
  const runs: number[] = [];
  let scoreCpuSeconds = 0;
  for (let i = 0; i < 3; i++) {
    const cpu = process.cpuUsage();
    t = performance.now();
    forest.score(score, out);
    runs.push((performance.now() - t) / 1000);
    const used = process.cpuUsage(cpu);
    if (i === 0) scoreCpuSeconds = (used.user + used.system) / 1e6;
  }
  writeFileSync(join(dir, `ours-${maxSamples}-scores.bin`), new Uint8Array(out.buffer));
  t = performance.now();
  const bytes = forest.toBytes();
  const again = IsolationForest.fromBytes(bytes);
  const codecMs = performance.now() - t;
  return {
    name: `coldroot IsolationForest (maxSamples ${maxSamples}, depth ${forest.params.maxDepth})`, fitRows: fit.rows, fitSeconds, scoreRows: score.rows,
    scoreSeconds: runs[0], scoreCpuSeconds, bestScoreSeconds: Math.min(...runs),
    serializedBytes: bytes.length, serializedNote: `binary; toBytes+fromBytes ${codecMs.toFixed(1)} ms, ${again.params.nTrees} trees`,
    rssBeforeMiB, peakRssMiB: peakRss(),
  };
}

async function workerMl(dir: string): Promise<Result> {
  const { IsolationForest: MlIsolationForest } = await import('ml-isolation-forest');
  const all = readMatrix(join(dir, 'fit.bin'));
  const scoreAll = readMatrix(join(dir, 'score.bin'));
  const toRows = (d: Float64Array, n: number): number[][] =>
    Array.from({ length: n }, (_, i) => Array.from(d.subarray(i * COLS, (i + 1) * COLS)));
  const fitRows = toRows(all, Math.min(ML_FIT_ROWS, all.length / COLS));
  const scoreRows = toRows(scoreAll, Math.min(ML_SCORE_ROWS, scoreAll.length / COLS));
  const rssBeforeMiB = rss();
  let t = performance.now();
  const model = new MlIsolationForest({ nEstimators: 100 });
  model.train(fitRows);
  const fitSeconds = (performance.now() - t) / 1000;
  const cpu = process.cpuUsage();
  t = performance.now();
  const scores = model.predict(scoreRows);
  const scoreSeconds = (performance.now() - t) / 1000;
  const used = process.cpuUsage(cpu);
  writeFileSync(join(dir, 'ml-scores.bin'), new Uint8Array(Float64Array.from(scores).buffer));
  const peakRssMiB = peakRss();
  // It has no save format; a JSON dump of its trees is the nearest thing.
  let serializedBytes: number | null = null;
  try {
    serializedBytes = Buffer.byteLength(JSON.stringify(model));
  } catch {
    serializedBytes = null;
  }
  return {
    name: 'ml-isolation-forest 0.1.0', fitRows: fitRows.length, fitSeconds, scoreRows: scoreRows.length, scoreSeconds,
    scoreCpuSeconds: (used.user + used.system) / 1e6,
    serializedBytes, serializedNote: 'JSON.stringify of the model (it has no save format)', rssBeforeMiB, peakRssMiB,
    note: `fit on the first ${fitRows.length} rows and scored ${scoreRows.length}: it builds every tree on all rows and scores ~17k rows/s`,
  };
}

const SKLEARN = `
import json, pickle, resource, sys, time
import numpy as np
from sklearn.ensemble import IsolationForest
import sklearn
d, cols = sys.argv[1], int(sys.argv[2])
fit = np.fromfile(d + '/fit.bin', dtype='<f8').reshape(-1, cols)
score = np.fromfile(d + '/score.bin', dtype='<f8').reshape(-1, cols)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t = time.perf_counter()
m = IsolationForest(n_estimators=100, max_samples=256, random_state=1, n_jobs=1).fit(fit)
fit_s = time.perf_counter() - t
t = time.perf_counter()
c = time.process_time()
s = m.score_samples(score)
score_s = time.perf_counter() - t
score_cpu = time.process_time() - c
(-s).astype('<f8').tofile(d + '/sklearn-scores.bin')
print(json.dumps({'name': 'scikit-learn ' + sklearn.__version__ + ' IsolationForest', 'fitRows': len(fit), 'fitSeconds': fit_s,
  'scoreRows': len(score), 'scoreSeconds': score_s, 'scoreCpuSeconds': score_cpu, 'serializedBytes': len(pickle.dumps(m)),
  'serializedNote': 'pickle.dumps of the fitted model', 'rssBeforeMiB': round(before / 1024, 1),
  'peakRssMiB': round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1), 'note': 'one core (n_jobs=1, OMP_NUM_THREADS=1)'}))
`;

/** How many planted outliers of each kind are among the highest-scoring rows (as many rows as were planted). */
function plantedRecall(scores: Float64Array, planted: Uint8Array): string {
  const total = [0, 0, 0];
  for (let i = 0; i < scores.length; i++) total[planted[i]]++;
  const k = total[1] + total[2];
  const order = new Uint32Array(scores.length).map((_, i) => i).sort((i, j) => scores[j] - scores[i]);
  const hits = [0, 0, 0];
  for (let q = 0; q < k; q++) hits[planted[order[q]]]++;
  return `top ${k} holds ${hits[1]} of ${total[1]} global and ${hits[2]} of ${total[2]} partial outliers`;
}

function spearman(a: Float64Array, b: Float64Array): number {
  const rank = (v: Float64Array): Float64Array => {
    const order = new Uint32Array(v.length).map((_, i) => i).sort((i, j) => v[i] - v[j]);
    const r = new Float64Array(v.length);
    order.forEach((row, k) => { r[row] = k; });
    return r;
  };
  const ra = rank(a);
  const rb = rank(b);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (ra[i] - rb[i]) ** 2;
  const n = a.length;
  return 1 - (6 * sum) / (n * (n * n - 1));
}

function runWorker(kind: string, dir: string): Result {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--worker', kind, dir], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`${kind} worker failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Result;
}

async function main(): Promise<void> {
  const w = process.argv.indexOf('--worker');
  // The pipeline's modules (store, features, scoring) load only for it: in the forest's worker
  // process they made scoring about a quarter slower.
  if (process.argv.includes('--pipeline-only')) return (await import('./bench/risk-pipeline-bench.js')).pipelineBench();
  if (w >= 0) {
    const [kind, dir] = process.argv.slice(w + 1);
    const result = kind.startsWith('ours-') ? workerOurs(dir, Number(kind.slice(5))) : await workerMl(dir);
    process.stdout.write(JSON.stringify(result));
    return;
  }
  const fitRows = arg('--fit-rows', 100_000);
  const scoreRows = arg('--score-rows', 1_000_000);
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-bench-models-'));
  try {
    writeFileSync(join(dir, 'fit.bin'), new Uint8Array(generate(fitRows, 11).data.buffer));
    const { data: scoreData, planted } = generate(scoreRows, 12);
    writeFileSync(join(dir, 'score.bin'), new Uint8Array(scoreData.buffer));
    const results: Result[] = [runWorker('ours-256', dir), runWorker('ours-1024', dir), runWorker('ml', dir)];
    const ours = readMatrix(join(dir, 'ours-256-scores.bin'));
    const agreement: Record<string, string> = {};
    const ml = readMatrix(join(dir, 'ml-scores.bin'));
    agreement['ours (maxSamples 256)'] = plantedRecall(ours, planted);
    agreement['ours (maxSamples 1024)'] = plantedRecall(readMatrix(join(dir, 'ours-1024-scores.bin')), planted);
    agreement['ml-isolation-forest'] = `Spearman with ours ${spearman(ours.slice(0, ml.length), ml).toFixed(4)} on its ${ml.length} rows; ` +
      `${plantedRecall(ml, planted.subarray(0, ml.length))} (ours on the same rows: ${plantedRecall(ours.slice(0, ml.length), planted.subarray(0, ml.length))})`;
    let sklearnNote = '';
    if (existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import sklearn']).status === 0) {
      const r = spawnSync(PYTHON, ['-c', SKLEARN, dir, String(COLS)], {
        encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1' }, maxBuffer: 1 << 24,
      });
      if (r.status === 0) {
        results.push(JSON.parse(r.stdout) as Result);
        const sk = readMatrix(join(dir, 'sklearn-scores.bin'));
        agreement['scikit-learn'] = `Spearman with ours ${spearman(ours, sk).toFixed(4)}; ${plantedRecall(sk, planted)}`;
      } else sklearnNote = `scikit-learn run failed: ${r.stderr.trim().split('\n').pop()}`;
    } else sklearnNote = `scikit-learn not available at ${PYTHON}: skipped`;
    print(results, agreement, sklearnNote, fitRows, scoreRows);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  if (!process.argv.includes('--no-pipeline')) (await import('./bench/risk-pipeline-bench.js')).pipelineBench();
}

function print(results: Result[], agreement: Record<string, string>, sklearnNote: string, fitRows: number, scoreRows: number): void {
  if (process.argv.includes('--json')) {
    console.log(JSON.stringify({ fitRows, scoreRows, cols: COLS, results, spearmanVsOurs: agreement, sklearnNote }, null, 2));
    return;
  }
  console.log(`Isolation forest: fit ${fitRows.toLocaleString('en')} rows, score ${scoreRows.toLocaleString('en')} rows, ${COLS} features, 100 trees, one core`);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, load average ${loadavg()[0].toFixed(2)} (others' work competes for the cores)\n`);
  for (const r of results) {
    const rate = (s: number): string => `${Math.round(r.scoreRows / s).toLocaleString('en')} rows/s`;
    console.log(r.name);
    console.log(`  fit      ${r.fitSeconds.toFixed(3)} s on ${r.fitRows.toLocaleString('en')} rows`);
    console.log(`  score    ${rate(r.scoreSeconds)} (${r.scoreRows.toLocaleString('en')} rows in ${r.scoreSeconds.toFixed(2)} s wall` +
      (r.scoreCpuSeconds !== undefined ? `, ${r.scoreCpuSeconds.toFixed(2)} s CPU = ${rate(r.scoreCpuSeconds)}` : '') + ')' +
      (r.bestScoreSeconds !== undefined ? `; best of 3 runs: ${rate(r.bestScoreSeconds)}` : ''));
    console.log(`  model    ${r.serializedBytes === null ? 'n/a' : `${(r.serializedBytes / 1024).toFixed(1)} KiB`} (${r.serializedNote})`);
    console.log(`  memory   peak RSS ${r.peakRssMiB} MiB (${r.rssBeforeMiB} MiB with the input loaded, before fitting)`);
    if (r.note) console.log(`  note     ${r.note}`);
  }
  console.log('\nDetection and agreement (ours = maxSamples 256 unless named):');
  for (const [name, text] of Object.entries(agreement)) console.log(`  ${name}: ${text}`);
  if (sklearnNote) console.log(sklearnNote);
}

await main();
