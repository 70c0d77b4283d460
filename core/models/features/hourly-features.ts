import type { Database, Statement } from 'better-sqlite3';
import { FEATURE_COUNT, FEATURE_INDEX, windowFeatures, type WindowAggregate } from './feature-set.js';

/** One host-certificate series (a row of metric_series). */
export interface SeriesRef {
  readonly seriesId: number;
  readonly host: string;
  readonly certSha256: string;
}

/** A series' windows in time order: times[i] (ms, window start) and features x[i·F … i·F + F). */
export interface SeriesWindows extends SeriesRef {
  readonly times: Float64Array;
  readonly x: Float64Array;
}

export const WINDOW_SECONDS = 3600;
const P95_FEATURE = FEATURE_INDEX.hs_p95_log;

const SERIES_SQL = 'SELECT id AS seriesId, host, cert_sha256 AS certSha256 FROM metric_series ORDER BY host, cert_sha256';

/**
 * Samples are read in time order along the (series_id, t) index and folded into hourly windows
 * here: sums of counts, the success-weighted mean of p50, the highest p95, count maps
 * concatenated. Measured on 720 hourly samples a series, SQLite's GROUP BY on the hour needs a
 * temporary B-tree and group_concat, and was twice as slow as this single ordered scan.
 */
const SAMPLES_SQL = `SELECT t, hs_attempted, hs_succeeded, hs_failed, hs_failed_by, hs_p50_ms, hs_p95_ms, protocols, ciphers,
  client_ips_distinct, client_ips_new, cpu_pct, mem_pct, net_rx_bytes + net_tx_bytes, cert_validation_errors, client_nets_distinct, client_nets_new
FROM metric_samples WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t`;

/** Only the handshake p95, for windows whose other features nobody reads (see readSeriesWindows' p95Before). */
const P95_SQL = 'SELECT t, hs_p95_ms FROM metric_samples WHERE series_id = ? AND t >= ? AND t < ? ORDER BY t';

const statements = new WeakMap<Database, { samples: Statement; p95: Statement }>();

export function listSeries(db: Database): SeriesRef[] {
  return db.prepare(SERIES_SQL).all() as SeriesRef[];
}

type SampleRow = [number, number, number, number, string, number | null, number | null, string, string, number, number, number, number, number, string, number | null, number | null];

const join = (a: string, b: string) => (a && b ? `${a};${b}` : a || b);

/**
 * The series' hourly windows whose start lies in [fromMs, toMs). Windows starting before
 * `p95Before` (rounded down to the hour) carry only hs_p95_log, every other feature NaN: the
 * degradation trend reads six weeks of p95 while the baselines need three, and one column costs a
 * fraction of reading and parsing all of them.
 */
export function readSeriesWindows(db: Database, ref: SeriesRef, fromMs: number, toMs: number, p95Before = fromMs): SeriesWindows {
  let stmt = statements.get(db);
  if (!stmt) {
    stmt = { samples: db.prepare(SAMPLES_SQL).raw(true), p95: db.prepare(P95_SQL).raw(true) };
    statements.set(db, stmt);
  }
  const split = Math.max(fromMs, Math.min(toMs, Math.floor(p95Before / (WINDOW_SECONDS * 1000)) * WINDOW_SECONDS * 1000));
  const times: number[] = [];
  let p95Windows: Float64Array | null = null;
  if (split > fromMs) {
    const early = stmt.p95.all(ref.seriesId, Math.floor(fromMs / 1000), split / 1000) as [number, number | null][];
    p95Windows = new Float64Array(early.length);
    let hour = -1;
    let p95: number | null = null;
    for (const [t, v] of early) {
      const h = Math.floor(t / WINDOW_SECONDS);
      if (h !== hour) {
        if (hour >= 0) p95Windows[times.length - 1] = p95 !== null && p95 > 0 ? Math.log(p95) : NaN;
        hour = h;
        p95 = null;
        times.push(h * WINDOW_SECONDS * 1000);
      }
      if (v !== null) p95 = p95 === null ? v : Math.max(p95, v);
    }
    if (hour >= 0) p95Windows[times.length - 1] = p95 !== null && p95 > 0 ? Math.log(p95) : NaN;
  }
  const rows = stmt.samples.all(ref.seriesId, p95Windows ? split / 1000 : Math.floor(fromMs / 1000), Math.ceil(toMs / 1000)) as SampleRow[];
  const x = new Float64Array((times.length + rows.length) * FEATURE_COUNT);
  if (p95Windows) {
    x.fill(NaN, 0, times.length * FEATURE_COUNT);
    for (let i = 0; i < times.length; i++) x[i * FEATURE_COUNT + P95_FEATURE] = p95Windows[i];
  }
  let w: (WindowAggregate & { p50Weight: number; n: number }) | null = null;
  let hour = -1;
  const flush = () => {
    if (!w) return;
    w.p50 = w.p50Weight > 0 ? w.p50! / w.p50Weight : null;
    w.cpu /= w.n;
    w.mem /= w.n;
    w.samples = w.n;
    windowFeatures(w, x, times.length * FEATURE_COUNT);
    times.push(hour * WINDOW_SECONDS * 1000);
  };
  for (const r of rows) {
    const h = Math.floor(r[0] / WINDOW_SECONDS);
    if (h !== hour || !w) {
      flush();
      hour = h;
      w = { attempted: 0, succeeded: 0, failed: 0, failedBy: '', p50: 0, p50Weight: 0, p95: null, protocols: '', ciphers: '', clients: 0, newClients: 0, nets: 0, newNets: 0, cpu: 0, mem: 0, netBytes: 0, validation: '', n: 0 };
    }
    w.attempted += r[1];
    w.succeeded += r[2];
    w.failed += r[3];
    w.failedBy = join(w.failedBy, r[4]);
    if (r[5] !== null && r[2] > 0) {
      w.p50! += r[5] * r[2];
      w.p50Weight += r[2];
    }
    if (r[6] !== null) w.p95 = w.p95 === null ? r[6] : Math.max(w.p95, r[6]);
    w.protocols = join(w.protocols, r[7]);
    w.ciphers = join(w.ciphers, r[8]);
    w.clients = Math.max(w.clients, r[9]);
    w.newClients += r[10];
    // A window with any sample lacking network counts (v1) has none: the feature falls back to new IPs.
    if (r[15] === null || w.nets == null) w.nets = w.newNets = null;
    else {
      w.nets = Math.max(w.nets, r[15]);
      w.newNets = (w.newNets ?? 0) + (r[16] ?? 0);
    }
    w.cpu += r[11];
    w.mem += r[12];
    w.netBytes += r[13];
    w.validation = join(w.validation, r[14]);
    w.n++;
  }
  flush();
  return { ...ref, times: Float64Array.from(times), x: x.slice(0, times.length * FEATURE_COUNT) };
}

/** Count-map objects as the stored 'name=count;…' text (for samples that never went through SQLite). */
export function countMapText(m: Record<string, number>): string {
  let s = '';
  for (const k in m) s += s ? `;${k}=${m[k]}` : `${k}=${m[k]}`;
  return s;
}
