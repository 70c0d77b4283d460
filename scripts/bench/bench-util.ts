import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Runs a command, returning wall seconds and peak RSS (MiB) via GNU time when it is installed. */
export function timed(cmd: string, args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): { seconds: number; peakMiB: number | null; status: number; stdout: string; stderr: string } {
  const gnuTime = existsSync('/usr/bin/time');
  const start = performance.now();
  const r = gnuTime
    ? spawnSync('/usr/bin/time', ['-f', '__PEAK_KB=%M', cmd, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, ...opts })
    : spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30, ...opts });
  const seconds = (performance.now() - start) / 1000;
  const m = /__PEAK_KB=(\d+)/.exec(r.stderr ?? '');
  return { seconds, peakMiB: m ? Number(m[1]) / 1024 : null, status: r.status ?? -1, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').replace(/__PEAK_KB=\d+\n?/, '') };
}

export function row(cells: Array<string | number>, widths: number[]): string {
  return cells.map((c, i) => String(c).padEnd(widths[i] ?? 12)).join(' ');
}

export const fmt = (n: number, digits = 0) => n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** A numeric command-line option (`--name N`), or the fallback. */
export function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

export function mib(bytes: number): number {
  return Math.round((bytes / 1048576) * 10) / 10;
}

/** This process's peak RSS so far, MiB. */
export function peakRss(): number {
  return mib(process.resourceUsage().maxRSS * 1024);
}
