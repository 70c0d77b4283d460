import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { isColdrootError } from '../../../../core/errors.js';
import { readProcSnapshot, systemFigures } from './proc-stats.js';
import { PROC_FIRST, PROC_SECOND, writeFakeProc, type FakeProc } from './testing/fake-proc.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

const procTree = (o: FakeProc) => {
  const d = mkdtempSync(join(tmpdir(), 'coldroot-proc-'));
  dirs.push(d);
  return writeFakeProc(d, o);
};
const first = PROC_FIRST;
const second = PROC_SECOND;

describe('proc stats', () => {
  test('two fixture snapshots give the exact CPU, memory and network figures (loopback and guest time left out)', async () => {
    const a = await readProcSnapshot(procTree(first));
    const b = await readProcSnapshot(procTree(second));
    assert.deepEqual(a, { cpuTotal: 9500, cpuIdle: 8100, memTotalKb: 16_000_000, memAvailableKb: 8_000_000, netRxBytes: 1_000_500, netTxBytes: 2_000_700, uptimeSeconds: 1000 });
    // 2000 jiffies passed, 1500 of them idle or iowait: 25 % busy. eth0+wlan0: +601000 / +900100 bytes.
    assert.deepEqual(systemFigures(a, b, 300, 300), { cpuPct: 25, memPct: 62.5, netRxBytes: 601_000, netTxBytes: 900_100 });
  });

  test('a gap longer than the window pro-rates the bytes; CPU stays the share of the whole gap', async () => {
    const a = await readProcSnapshot(procTree(first));
    const b = await readProcSnapshot(procTree(second));
    assert.deepEqual(systemFigures(a, b, 300, 600), { cpuPct: 25, memPct: 62.5, netRxBytes: 300_500, netTxBytes: 450_050 });
  });

  test('first run and reboot fall back to since-boot counters pro-rated by uptime', async () => {
    const a = await readProcSnapshot(procTree(first));
    const b = await readProcSnapshot(procTree(second));
    // Since boot: 11500 jiffies, 9600 idle → 16.522 %; 1601500 / 2900800 bytes over 1300 s, 300 s of it.
    const boot = { cpuPct: 16.522, memPct: 62.5, netRxBytes: 369_577, netTxBytes: 669_415 };
    assert.deepEqual(systemFigures(null, b, 300, 300), boot);
    const rebooted = { ...a, cpuTotal: a.cpuTotal * 10, uptimeSeconds: 99_999 };
    assert.deepEqual(systemFigures(rebooted, b, 300, 300), boot);
  });

  test('kernels without MemAvailable: free + buffers + cached', async () => {
    const s = await readProcSnapshot(procTree({ ...first, memAvailable: undefined, memFree: 7_997_000 }));
    assert.equal(s.memAvailableKb, 8_000_000);
  });

  test('a missing proc file names the file and the setting to change', async () => {
    const root = procTree(first);
    rmSync(join(root, 'meminfo'));
    await assert.rejects(readProcSnapshot(root), (e) => isColdrootError(e) && e.code === 'PROC_UNREADABLE' && e.message.includes(join(root, 'meminfo')) && e.hint.includes('collect.system.procRoot'));
  });

  test('the real /proc parses and gives figures in range', async () => {
    const a = await readProcSnapshot('/proc');
    assert.ok(a.cpuTotal > 0 && a.memTotalKb > 0 && a.uptimeSeconds > 0);
    assert.ok(a.memAvailableKb <= a.memTotalKb);
    const b = await readProcSnapshot('/proc');
    const f = systemFigures(a, b, 300, 1);
    assert.ok(f.cpuPct >= 0 && f.cpuPct <= 100 && f.memPct > 0 && f.memPct <= 100);
    assert.ok(f.netRxBytes >= 0 && f.netTxBytes >= 0);
  });
});
