import { BundleRepository, type StoredRolloutProgress } from '../../bundles/bundle-repository.js';
import type { OperationContext } from '../../ca/operation-context.js';
import type { RolloutReport as RolloutProgress } from './rollout-progress.js';

/**
 * `coldroot rollout report`: canary rollouts as the imported metric bundles show them. The
 * figures come from the metric samples (one series per host and certificate, so the old and the
 * new certificate of a rollout are two series of one host); plan id, state, changes and the
 * rollback reason come from the agents' rollout.json (coldroot.rollout-progress.v1) as the import
 * stored it (table rollout_progress), the newest report of each host and plan. A host that never
 * reported one has its rollout recognised from the samples alone: two certificates of one host
 * that both shook hands in the same interval.
 */

export interface ArmTotals {
  attempted: number;
  succeeded: number;
  failed: number;
  successPercent: number | null;
  /** Attempt-weighted mean of the intervals' p95 handshake times. */
  p95Ms: number | null;
  failedBy: Record<string, number>;
}

export interface RolloutPoint {
  t: string;
  /** Share of the host's handshakes on the new certificate in this interval. */
  exposurePercent: number;
  oldSuccessPercent: number | null;
  newSuccessPercent: number | null;
  oldP95Ms: number | null;
  newP95Ms: number | null;
}

export interface HostRollout {
  host: string;
  planId: string | null;
  policy: string | null;
  state: RolloutProgress['state'] | 'unknown';
  oldCertificate: string;
  newCertificate: string;
  old: ArmTotals;
  new: ArmTotals;
  /** New's failures beyond old's failure rate on the same host: what the new certificate caused. */
  failuresCausedByNew: number;
  timeToFullSeconds: number | null;
  timeToRollbackSeconds: number | null;
  rollbackReason: string | null;
  lastDecision: string | null;
  /** Creation time of the bundle whose rollout.json this is (null: recognised from the samples). */
  reportedAt: string | null;
  changes: RolloutProgress['changes'];
  timeline: RolloutPoint[];
}

export interface GroupSummary {
  name: string;
  hosts: number;
  rollouts: number;
  completed: number;
  rolledBack: number;
  medianTimeToFullSeconds: number | null;
  medianTimeToRollbackSeconds: number | null;
  failuresCausedByNew: number;
  newHandshakes: number;
}

export interface RolloutReportView {
  rollouts: HostRollout[];
  /** With two host groups: the A/B comparison. */
  groups: GroupSummary[] | null;
}

export interface RolloutReportInput {
  hosts?: string[];
  groups?: { a: { name: string; hosts: string[] }; b: { name: string; hosts: string[] } };
}

interface Row {
  cert: string;
  t: number;
  attempted: number;
  succeeded: number;
  failed: number;
  failedBy: string;
  p95: number | null;
}

function parseCounts(text: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of text.split(';')) {
    const i = part.lastIndexOf('=');
    if (i > 0) out[part.slice(0, i)] = (out[part.slice(0, i)] ?? 0) + Number(part.slice(i + 1));
  }
  return out;
}

function totals(rows: Row[]): ArmTotals {
  const t: ArmTotals = { attempted: 0, succeeded: 0, failed: 0, successPercent: null, p95Ms: null, failedBy: {} };
  let p95Weight = 0;
  let p95Sum = 0;
  for (const r of rows) {
    t.attempted += r.attempted;
    t.succeeded += r.succeeded;
    t.failed += r.failed;
    for (const [k, v] of Object.entries(parseCounts(r.failedBy))) t.failedBy[k] = (t.failedBy[k] ?? 0) + v;
    if (r.p95 !== null && r.succeeded > 0) { p95Sum += r.p95 * r.succeeded; p95Weight += r.succeeded; }
  }
  t.successPercent = t.attempted ? round(100 * t.succeeded / t.attempted) : null;
  t.p95Ms = p95Weight ? round(p95Sum / p95Weight) : null;
  return t;
}

const round = (x: number) => Math.round(x * 100) / 100;
const iso = (s: number) => `${new Date(s * 1000).toISOString().slice(0, 19)}Z`;

function median(xs: number[]): number | null {
  if (!xs.length) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Old and new certificate of a host without rollout.json: two series with handshakes in one interval, new the later-seen (else the smaller share). */
function inferPair(rows: Row[]): { old: string; new: string } | null {
  const byT = new Map<number, Row[]>();
  for (const r of rows) if (r.attempted > 0) byT.set(r.t, [...(byT.get(r.t) ?? []), r]);
  const first = new Map<string, number>();
  for (const r of rows) if (r.attempted > 0 && !first.has(r.cert)) first.set(r.cert, r.t);
  for (const [, at] of [...byT.entries()].sort((a, b) => a[0] - b[0])) {
    if (at.length < 2) continue;
    const [x, y] = at.sort((a, b) => (first.get(a.cert)! - first.get(b.cert)!) || (b.attempted - a.attempted));
    return { old: x.cert, new: y.cert };
  }
  return null;
}

function hostRollout(host: string, rows: Row[], p: StoredRolloutProgress | null): HostRollout | null {
  const pair = p ? { old: p.oldCertificate, new: p.newCertificate } : inferPair(rows);
  if (!pair) return null;
  const oldRows = rows.filter((r) => r.cert === pair.old);
  const newRows = rows.filter((r) => r.cert === pair.new);
  const times = [...new Set([...oldRows, ...newRows].map((r) => r.t))].sort((a, b) => a - b);
  const timeline: RolloutPoint[] = times.map((t) => {
    const o = totals(oldRows.filter((r) => r.t === t));
    const n = totals(newRows.filter((r) => r.t === t));
    const all = o.attempted + n.attempted;
    return { t: iso(t), exposurePercent: all ? round(100 * n.attempted / all) : 0, oldSuccessPercent: o.successPercent, newSuccessPercent: n.successPercent, oldP95Ms: o.p95Ms, newP95Ms: n.p95Ms };
  });
  const o = totals(oldRows);
  const n = totals(newRows);
  const oldFailRate = o.attempted ? o.failed / o.attempted : 0;
  const caused = Math.max(0, Math.round(n.failed - n.attempted * oldFailRate));

  let toFull: number | null = null;
  let toRollback: number | null = null;
  let state: HostRollout['state'] = 'unknown';
  if (p) {
    state = p.state;
    const start = Date.parse(p.startedAt);
    const full = p.changes.find((c) => c.to === 100);
    const back = p.changes.find((c) => c.action === 'rollback');
    if (full) toFull = (Date.parse(full.at) - start) / 1000;
    if (back) toRollback = (Date.parse(back.at) - start) / 1000;
    else if (p.state === 'rolled-back' || p.state === 'failed-safe') toRollback = p.finishedAt ? (Date.parse(p.finishedAt) - start) / 1000 : null;
  } else if (timeline.length) {
    // From the samples only: interval granularity.
    const start = Date.parse(timeline[0].t);
    const full = timeline.find((x) => x.exposurePercent >= 99.5);
    const seenNew = timeline.findIndex((x) => x.exposurePercent > 0);
    const back = seenNew >= 0 ? timeline.slice(seenNew).find((x) => x.exposurePercent === 0) : undefined;
    if (full) { toFull = (Date.parse(full.t) - start) / 1000; state = 'complete'; }
    else if (back) { toRollback = (Date.parse(back.t) - start) / 1000; state = 'rolled-back'; }
    else state = 'running';
  }
  return {
    host, planId: p?.planId ?? null, policy: p?.policy ?? null, state, oldCertificate: pair.old, newCertificate: pair.new, old: o, new: n,
    failuresCausedByNew: caused, timeToFullSeconds: toFull, timeToRollbackSeconds: toRollback, rollbackReason: p?.rollbackReason ?? null,
    lastDecision: p?.lastDecision ? `${p.lastDecision.action} ${p.lastDecision.metric}: ${p.lastDecision.message}` : null, reportedAt: p?.reportedAt ?? null, changes: p?.changes ?? [], timeline,
  };
}

function group(name: string, hosts: string[], rollouts: HostRollout[]): GroupSummary {
  const mine = rollouts.filter((r) => hosts.includes(r.host));
  return {
    name, hosts: hosts.length, rollouts: mine.length,
    completed: mine.filter((r) => r.state === 'complete' || r.state === 'all-at-once').length,
    rolledBack: mine.filter((r) => r.state === 'rolled-back' || r.state === 'failed-safe').length,
    medianTimeToFullSeconds: median(mine.flatMap((r) => (r.timeToFullSeconds === null ? [] : [r.timeToFullSeconds]))),
    medianTimeToRollbackSeconds: median(mine.flatMap((r) => (r.timeToRollbackSeconds === null ? [] : [r.timeToRollbackSeconds]))),
    failuresCausedByNew: mine.reduce((a, r) => a + r.failuresCausedByNew, 0),
    newHandshakes: mine.reduce((a, r) => a + r.new.attempted, 0),
  };
}

/** Reads only: works on a read-only home. */
export function rolloutReport(ctx: OperationContext, input: RolloutReportInput = {}): RolloutReportView {
  const db = ctx.store.db;
  const repo = new BundleRepository(db);
  const wanted = input.groups ? [...input.groups.a.hosts, ...input.groups.b.hosts] : input.hosts;
  const hosts = wanted?.length
    ? [...new Set(wanted)]
    : [...new Set([...(db.prepare('SELECT DISTINCT host FROM metric_series').all() as Array<{ host: string }>).map((r) => r.host), ...repo.rolloutProgressHosts()])].sort();
  const rows = db.prepare(`SELECT s.cert_sha256 AS cert, m.t AS t, SUM(m.hs_attempted) AS attempted, SUM(m.hs_succeeded) AS succeeded, SUM(m.hs_failed) AS failed,
      GROUP_CONCAT(m.hs_failed_by, ';') AS failedBy, MAX(m.hs_p95_ms) AS p95
    FROM metric_series s JOIN metric_samples m ON m.series_id = s.id WHERE s.host = ? GROUP BY s.cert_sha256, m.t ORDER BY m.t`);
  const rollouts: HostRollout[] = [];
  for (const host of hosts) {
    const hostRows = (rows.all(host) as Row[]).map((r) => ({ ...r, failedBy: r.failedBy ?? '' }));
    const plans = repo.latestRolloutProgress(host);
    for (const p of plans.length ? plans : [null]) {
      const r = hostRollout(host, hostRows, p);
      if (r) rollouts.push(r);
    }
  }
  const groups = input.groups ? [group(input.groups.a.name, input.groups.a.hosts, rollouts), group(input.groups.b.name, input.groups.b.hosts, rollouts)] : null;
  return { rollouts, groups };
}
