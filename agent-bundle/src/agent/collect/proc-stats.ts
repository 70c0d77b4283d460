import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ColdrootError } from '../../../../core/errors.js';

/** Cumulative counters read from one look at /proc; deltas between two give a window's figures. */
export interface ProcSnapshot {
  /** Jiffies: all CPU time (user … steal, guest excluded as it is inside user) and the idle part (idle + iowait). */
  cpuTotal: number;
  cpuIdle: number;
  memTotalKb: number;
  memAvailableKb: number;
  /** Bytes over all interfaces but loopback, since boot. */
  netRxBytes: number;
  netTxBytes: number;
  /** Seconds since boot (/proc/uptime), to pro-rate since-boot counters when there is no earlier snapshot. */
  uptimeSeconds: number;
}

export interface SystemFigures {
  cpuPct: number;
  memPct: number;
  netRxBytes: number;
  netTxBytes: number;
}

async function procFile(procRoot: string, name: string): Promise<string> {
  const path = join(procRoot, name);
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    throw new ColdrootError('PROC_UNREADABLE', `Cannot read ${path}: ${(e as Error).message}`, `Check collect.system.procRoot (now ${procRoot}) points at a mounted proc filesystem, or set collect.system.enabled to false`, 'failure');
  }
}

function bad(file: string, what: string): never {
  throw new ColdrootError('PROC_FORMAT', `${file}: ${what}`, 'This kernel\'s /proc format is not understood; set collect.system.enabled to false and report the file\'s content', 'failure');
}

export function parseProcStat(text: string): { total: number; idle: number } {
  const line = text.split('\n').find((l) => l.startsWith('cpu '));
  if (!line) bad('/proc/stat', "no aggregate 'cpu' line");
  const v = line.trim().split(/\s+/).slice(1).map(Number);
  if (v.length < 4 || v.some((x) => !Number.isFinite(x))) bad('/proc/stat', `unreadable cpu line '${line}'`);
  // user nice system idle iowait irq softirq steal guest guest_nice; guest time is already counted in user/nice.
  const total = v.slice(0, 8).reduce((a, b) => a + b, 0);
  return { total, idle: v[3] + (v[4] ?? 0) };
}

export function parseMeminfo(text: string): { totalKb: number; availableKb: number } {
  const kb = (name: string): number | null => {
    const m = new RegExp(`^${name}:\\s+(\\d+) kB$`, 'm').exec(text);
    return m ? Number(m[1]) : null;
  };
  const totalKb = kb('MemTotal');
  if (totalKb === null || totalKb === 0) bad('/proc/meminfo', 'no MemTotal');
  // Kernels before 3.14 have no MemAvailable: free + buffers + cache is the usual stand-in.
  const availableKb = kb('MemAvailable') ?? (kb('MemFree') ?? 0) + (kb('Buffers') ?? 0) + (kb('Cached') ?? 0);
  return { totalKb, availableKb: Math.min(availableKb, totalKb) };
}

export function parseNetDev(text: string): { rxBytes: number; txBytes: number } {
  let rxBytes = 0, txBytes = 0;
  for (const line of text.split('\n').slice(2)) {
    const colon = line.indexOf(':');
    if (colon < 0) continue;
    const iface = line.slice(0, colon).trim();
    if (iface === 'lo') continue;
    const f = line.slice(colon + 1).trim().split(/\s+/).map(Number);
    if (f.length < 16 || !Number.isFinite(f[0]) || !Number.isFinite(f[8])) bad('/proc/net/dev', `unreadable line for ${iface}`);
    rxBytes += f[0];
    txBytes += f[8];
  }
  return { rxBytes, txBytes };
}

export async function readProcSnapshot(procRoot: string): Promise<ProcSnapshot> {
  const [stat, mem, net, uptime] = await Promise.all(['stat', 'meminfo', 'net/dev', 'uptime'].map((n) => procFile(procRoot, n)));
  const cpu = parseProcStat(stat);
  const m = parseMeminfo(mem);
  const n = parseNetDev(net);
  const up = Number(uptime.trim().split(/\s+/)[0]);
  if (!Number.isFinite(up)) bad('/proc/uptime', `unreadable '${uptime.trim()}'`);
  return { cpuTotal: cpu.total, cpuIdle: cpu.idle, memTotalKb: m.totalKb, memAvailableKb: m.availableKb, netRxBytes: n.rxBytes, netTxBytes: n.txBytes, uptimeSeconds: up };
}

const pct = (x: number) => Math.min(100, Math.max(0, Math.round(x * 1000) / 1000));

/**
 * The figures of a window of `windowSeconds` ending at `cur`. With an earlier snapshot `prev` from
 * the same boot, CPU is the busy share of the jiffies in between and network bytes are the
 * counter deltas, pro-rated when the gap since `prev` is longer than the window (an agent that was
 * stopped). Without one (first run) or across a reboot (a counter went backwards), the since-boot
 * counters stand in: the boot-long CPU average and bytes pro-rated from the uptime.
 */
export function systemFigures(prev: ProcSnapshot | null, cur: ProcSnapshot, windowSeconds: number, elapsedSeconds: number): SystemFigures {
  const memPct = pct((100 * (cur.memTotalKb - cur.memAvailableKb)) / cur.memTotalKb);
  const sameBoot = prev !== null && cur.cpuTotal >= prev.cpuTotal && cur.cpuIdle >= prev.cpuIdle && cur.netRxBytes >= prev.netRxBytes && cur.netTxBytes >= prev.netTxBytes && cur.uptimeSeconds >= prev.uptimeSeconds;
  const base = sameBoot ? prev : { cpuTotal: 0, cpuIdle: 0, netRxBytes: 0, netTxBytes: 0 };
  const span = sameBoot ? elapsedSeconds : cur.uptimeSeconds;
  const dTotal = cur.cpuTotal - base.cpuTotal;
  const cpuPct = dTotal > 0 ? pct((100 * (dTotal - (cur.cpuIdle - base.cpuIdle))) / dTotal) : 0;
  const share = span > windowSeconds ? windowSeconds / span : 1;
  return {
    cpuPct, memPct,
    netRxBytes: Math.round((cur.netRxBytes - base.netRxBytes) * share),
    netTxBytes: Math.round((cur.netTxBytes - base.netTxBytes) * share),
  };
}
