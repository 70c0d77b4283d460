// npm run bench:import [-- --rows 1000000 --format csv,ndjson --rounds 2 --parallel auto|always|never]
// Imports a signed 1,000,000-row metrics bundle into a fresh home and prints rows/s and peak
// memory next to the raw better-sqlite3 insert rate into the same schema, measured in the same run,
// for each format named (both by default).
// Each phase runs in its own process so that its peak RSS is its own.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ConsoleService } from '../core/api/console-service.js';
import { writeBundle } from '../core/bundles/bundle-writer.js';
import type { MetricsFormat } from '../core/bundles/payloads/metrics-reader.js';
import { METRICS_SCHEMA_V1 } from '../core/bundles/payloads/metrics-schema.js';
import { sampleFromCsv, type MetricRow } from '../core/bundles/payloads/metrics-validate.js';
import { csvLine, MetricsFileWriter } from '../core/bundles/payloads/metrics-writer.js';
import { derivedKey } from '../core/bundles/simulation/fleet-simulator.js';
import { generateSamples, makeHosts } from '../core/bundles/simulation/metric-generator.js';
import { SoftwareSigner } from '../core/keys/software-signer.js';
import { migrate } from '../core/store/migrations.js';
import { fromPemOrDer } from '../core/x509/asn1.js';
import { buildCsr } from '../core/x509/csr-builder.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' }, format: { type: 'string', default: 'csv,ndjson' }, rounds: { type: 'string', default: '2' },
    parallel: { type: 'string', default: 'auto' }, phase: { type: 'string' }, dir: { type: 'string' }, round: { type: 'string', default: '0' },
  },
});
const ROWS = Number(values.rows);
const HOSTS = 100;
const STEPS = Math.ceil(ROWS / HOSTS);
const PASSPHRASE = 'bench passphrase, lab only';
const formats = values.format!.split(',') as MetricsFormat[];
if (formats.some((f) => f !== 'csv' && f !== 'ndjson')) throw new Error(`--format ${values.format}: use csv, ndjson or csv,ndjson`);
let format = formats[0];
const peakMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

/** Phase 1: a home with a CA and a device, and the signed bundle. */
async function generate(dir: string): Promise<object> {
  const svc = ConsoleService.open({ home: join(dir, 'home'), operator: 'bench', create: true });
  try {
    svc.initialize();
    const root = await svc.createRootCa({ name: 'CN=Bench Root CA', algorithm: 'ecdsa-p256', key: { kind: 'software', passphrase: PASSPHRASE } });
    const signer = new SoftwareSigner(derivedKey(1, 'bench-device'), 'ecdsa-p256', 'software:bench-device');
    const cert = await svc.issueCertificate({ caId: root.id, secret: { passphrase: PASSPHRASE }, profile: 'device-management', csr: await buildCsr(signer, 'CN=bench-collector') });
    const payload = join(dir, `metrics.${format}.gz`);
    const w = new MetricsFileWriter(payload, format, { level: 6 });
    let n = 0;
    const hosts = makeHosts(HOSTS, 1).map((h, i) => ({ ...h, cert: i.toString(16).padStart(64, 'a') }));
    for (const h of hosts) {
      for (const s of generateSamples(h, { start: new Date(Date.now() - 40 * 86_400_000 - (Date.now() % 86_400_000)), steps: STEPS, intervalS: 300, seed: 1 })) {
        if (n++ >= ROWS) break;
        await w.write(s);
      }
    }
    const { records } = await w.close();
    // The raw baseline inserts the same values: the first 10,000 rows, validated, cycled.
    const pool: MetricRow[] = [];
    for (const s of generateSamples(hosts[0], { start: new Date(0), steps: 10_000, intervalS: 300, seed: 1 })) pool.push(sampleFromCsv(csvLine(s).trimEnd()) as MetricRow);
    writeFileSync(join(dir, 'pool.json'), JSON.stringify(pool));
    const b = await writeBundle(join(dir, 'bundle.tar'), { type: 'metrics', identity: { signer, certificate: fromPemOrDer(cert.certificatePem, ['CERTIFICATE'])[0], chain: [] }, sequence: 1, createdAt: new Date(), files: [{ name: `metrics.${format}.gz`, path: payload, schema: METRICS_SCHEMA_V1, records }] });
    return { records, bundleBytes: b.size, payloadBytes: statSync(payload).size };
  } finally {
    svc.close();
  }
}

/** Phase 2: better-sqlite3 alone, one prepared INSERT in one transaction, into a fresh database with the home's schema and pragmas. */
function raw(dir: string, round: number): object {
  const file = join(dir, `raw-${round}.db`);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  migrate(db);
  const pool = JSON.parse(readFileSync(join(dir, 'pool.json'), 'utf8')) as MetricRow[];
  db.prepare(`INSERT INTO bundles (bundle_id, direction, type, format_version, producer_sha256, producer_subject, sequence, created_at, manifest, manifest_sha256, signature, processed_at, operator)
    VALUES ('raw', 'import', 'metrics', 1, 'p', 's', 1, 't', x'00', 'm', x'00', 't', 'o')`).run();
  const series = db.prepare('INSERT INTO metric_series (host, cert_sha256) VALUES (?, ?)');
  for (let h = 0; h < HOSTS; h++) series.run(`host-${h}`, h.toString(16).padStart(64, 'a'));
  const insert = db.prepare('INSERT INTO metric_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const t0 = performance.now();
  db.transaction(() => {
    for (let i = 0; i < ROWS; i++) {
      const r = pool[i % pool.length];
      r[0] = 1 + Math.floor(i / STEPS);
      r[1] = 1;
      r[2] = 1_700_000_000 + (i % STEPS) * 300;
      insert.run(r);
    }
  })();
  const seconds = (performance.now() - t0) / 1000;
  db.close();
  rmSync(file, { force: true });
  rmSync(`${file}-wal`, { force: true });
  rmSync(`${file}-shm`, { force: true });
  return { seconds, rowsPerSecond: ROWS / seconds, peakMiB: peakMiB() };
}

/** Phase 3: the real import (every check, streaming, one transaction with its audit entry) into a copy of the home. */
async function importPhase(dir: string, round: number): Promise<object> {
  const home = join(dir, `home-${round}`);
  spawnSync('cp', ['-r', join(dir, 'home'), home]);
  const svc = ConsoleService.open({ home, operator: 'bench' });
  try {
    const t0 = performance.now();
    const [r] = await svc.importBundles([join(dir, 'bundle.tar')], { quarantine: false, parallel: values.parallel as 'auto' });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 'accepted') throw new Error(`import failed: ${JSON.stringify(r)}`);
    const stored = (svc.store.db.prepare('SELECT count(*) AS n FROM metric_samples').get() as { n: number }).n;
    return { seconds, rowsPerSecond: r.records / seconds, records: r.records, stored, peakMiB: peakMiB() };
  } finally {
    svc.close();
    rmSync(home, { recursive: true, force: true });
  }
}

function child(phase: string, dir: string, round = 0): Record<string, number> {
  const r = spawnSync(process.execPath, [...process.execArgv, process.argv[1], '--phase', phase, '--dir', dir, '--rows', String(ROWS), '--format', format, '--parallel', values.parallel!, '--round', String(round)], { encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${phase} failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

if (values.phase) {
  const dir = values.dir!;
  const round = Number(values.round);
  const out = values.phase === 'generate' ? await generate(dir) : values.phase === 'raw' ? raw(dir, round) : await importPhase(dir, round);
  console.log(JSON.stringify(out));
} else {
  for (const f of formats) {
    format = f;
    benchFormat();
  }
}

function benchFormat(): void {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-bench-import-'));
  try {
    const fmtN = (n: number) => Math.round(n).toLocaleString('en-US');
    console.log(`generating a ${fmtN(ROWS)}-row ${format} metrics bundle…`);
    const g = child('generate', dir);
    console.log(`bundle ${(g.bundleBytes / 2 ** 20).toFixed(1)} MiB (gzip payload ${(g.payloadBytes / 2 ** 20).toFixed(1)} MiB), ${fmtN(g.records)} samples`);
    const raws: Array<Record<string, number>> = [];
    const imports: Array<Record<string, number>> = [];
    for (let round = 0; round < Number(values.rounds); round++) {
      raws.push(child('raw', dir, round));
      imports.push(child('import', dir, round));
      console.log(`round ${round + 1}: raw ${fmtN(raws[round].rowsPerSecond)} rows/s, import ${fmtN(imports[round].rowsPerSecond)} rows/s (peak ${imports[round].peakMiB} MiB)`);
    }
    const best = (xs: Array<Record<string, number>>) => xs.reduce((a, b) => (b.rowsPerSecond > a.rowsPerSecond ? b : a));
    const r = best(raws);
    const i = best(imports);
    const ratio = i.rowsPerSecond / r.rowsPerSecond;
    console.log('');
    console.log(`raw better-sqlite3 insert (same schema, one transaction): ${fmtN(r.rowsPerSecond)} rows/s, peak ${r.peakMiB} MiB`);
    console.log(`coldroot bundle import (${format}, parallel ${values.parallel}):         ${fmtN(i.rowsPerSecond)} rows/s, peak ${i.peakMiB} MiB, ${fmtN(i.stored)} rows stored`);
    console.log(`import / raw: ${(ratio * 100).toFixed(0)}% (target >= 50%); peak memory ${Math.max(...imports.map((x) => x.peakMiB))} MiB over all rounds (target < 256 MiB)`);
    console.log(`best of ${values.rounds} rounds each; this machine: ${cpus().length} cores, load ${loadavg()[0].toFixed(2)}`);
    console.log('');
    if (i.stored !== ROWS) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
