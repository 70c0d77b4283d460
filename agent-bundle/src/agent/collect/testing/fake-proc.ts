import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** The counters a fake /proc tree shows; cpu = user nice system idle iowait irq softirq steal guest guest_nice (jiffies). */
export interface FakeProc {
  cpu: number[];
  memTotal: number;
  memAvailable?: number;
  memFree?: number;
  /** [interface, rx bytes, tx bytes] */
  net: Array<[string, number, number]>;
  uptime: number;
}

const NET_HEAD = 'Inter-|   Receive                                                |  Transmit\n face |bytes    packets errs drop fifo frame compressed multicast|bytes    packets errs drop fifo colls carrier compressed\n';

/** Writes (or rewrites) stat, meminfo, net/dev and uptime in the kernel's formats under `root`. */
export function writeFakeProc(root: string, o: FakeProc): string {
  mkdirSync(join(root, 'net'), { recursive: true });
  writeFileSync(join(root, 'stat'), `cpu  ${o.cpu.join(' ')}\ncpu0 ${o.cpu.join(' ')}\nintr 12345 0 0\nctxt 999\nbtime 1772400000\n`);
  writeFileSync(join(root, 'meminfo'), `MemTotal:       ${o.memTotal} kB\nMemFree:        ${o.memFree ?? 1} kB\n${o.memAvailable !== undefined ? `MemAvailable:   ${o.memAvailable} kB\n` : ''}Buffers:          1000 kB\nCached:           2000 kB\n`);
  writeFileSync(join(root, 'net', 'dev'), NET_HEAD + o.net.map(([i, rx, tx]) => `${i.padStart(6)}: ${rx} 900 0 0 0 0 0 0 ${tx} 1200 0 0 0 0 0 0\n`).join(''));
  writeFileSync(join(root, 'uptime'), `${o.uptime.toFixed(2)} 3500.00\n`);
  return root;
}

export function makeFakeProc(parent: string, o: FakeProc): string {
  return writeFakeProc(mkdtempSync(join(parent, 'proc-')), o);
}

/** Two snapshots 300 s apart: 25 % CPU, 62.5 % memory, +601000 / +900100 bytes off loopback. */
export const PROC_FIRST: FakeProc = { cpu: [1000, 50, 300, 8000, 100, 20, 30, 0, 100, 0], memTotal: 16_000_000, memAvailable: 8_000_000, net: [['lo', 5000, 5000], ['eth0', 1_000_000, 2_000_000], ['wlan0', 500, 700]], uptime: 1000 };
export const PROC_SECOND: FakeProc = { cpu: [1300, 50, 400, 9400, 200, 30, 120, 0, 300, 0], memTotal: 16_000_000, memAvailable: 6_000_000, net: [['lo', 9000, 9000], ['eth0', 1_600_000, 2_900_000], ['wlan0', 1500, 800]], uptime: 1300 };
