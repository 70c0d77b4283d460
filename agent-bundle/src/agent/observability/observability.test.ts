import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StateLayout } from '../state/state-layout.js';
import { createAgentLogger } from './agent-logger.js';
import { startMetricsEndpoint } from './metrics-endpoint.js';
import { renderMetrics, writePromFile } from './prometheus-metrics.js';

const snapshot = {
  host: 'web-01.fleet.example', certificateNotAfter: new Date('2027-03-02T00:00:00Z'), certificateState: 'valid', attempts: 3, successes: 2, failures: 1,
  lastSuccessAt: new Date('2026-03-02T00:01:00Z'), clockSkew: false, renewalStatus: 'idle', consecutiveFailures: 0, investigation: false,
};

describe('observability', () => {
  test('Prometheus text: one HELP, TYPE and sample per metric, times in epoch seconds', () => {
    const text = renderMetrics(snapshot);
    assert.match(text, /^# HELP coldroot_agent_certificate_expiry_timestamp_seconds .*\n# TYPE coldroot_agent_certificate_expiry_timestamp_seconds gauge\ncoldroot_agent_certificate_expiry_timestamp_seconds\{host="web-01.fleet.example"\} 1803945600\n/);
    assert.match(text, /\ncoldroot_agent_renewal_attempts_total\{host="web-01.fleet.example"\} 3\n/);
    assert.match(text, /\n# TYPE coldroot_agent_renewal_failures_total counter\ncoldroot_agent_renewal_failures_total\{host="web-01.fleet.example"\} 1\n/);
    assert.match(text, /\ncoldroot_agent_renewal_last_success_timestamp_seconds\{host="web-01.fleet.example"\} 1772409660\n/);
    assert.match(text, /\ncoldroot_agent_certificate_valid\{host="web-01.fleet.example",state="valid"\} 1\n/);
    assert.ok(text.endsWith('\n'));
    assert.match(renderMetrics({ ...snapshot, host: 'a"b\\c' }), /host="a\\"b\\\\c"/);
  });

  test('the textfile is written atomically and the endpoint serves /metrics on loopback only', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldroot-agent-obs-'));
    try {
      const layout = new StateLayout(dir);
      await writePromFile(layout, renderMetrics(snapshot));
      assert.equal(readFileSync(layout.promFile, 'utf8'), renderMetrics(snapshot));
      const ep = await startMetricsEndpoint('127.0.0.1:0', () => renderMetrics(snapshot));
      try {
        assert.match(ep.url, /^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
        const r = await fetch(ep.url);
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
        assert.equal(await r.text(), renderMetrics(snapshot));
        assert.equal((await fetch(ep.url.replace('/metrics', '/'))).status, 404);
      } finally {
        await ep.close();
      }
      await assert.rejects(startMetricsEndpoint('0.0.0.0:0', () => ''), { code: 'METRICS_LISTEN_NOT_LOOPBACK' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('JSON log: one line per event, to the log file and stdout', () => {
    const dir = mkdtempSync(join(tmpdir(), 'coldroot-agent-log-'));
    try {
      const layout = new StateLayout(dir);
      const out: string[] = [];
      const log = createAgentLogger(layout, { stdout: { write: (s: string) => out.push(s) }, now: () => new Date('2026-03-02T00:00:00Z') });
      log({ event: 'renewal-requested', level: 'info', requestId: 'r1' });
      log({ event: 'renewal-failed', level: 'warn', code: 'TRANSPORT_UNAVAILABLE' });
      const lines = readFileSync(layout.logFile, 'utf8');
      assert.equal(lines, out.join(''));
      assert.deepEqual(lines.trim().split('\n').map((l) => JSON.parse(l)), [
        { at: '2026-03-02T00:00:00.000Z', event: 'renewal-requested', level: 'info', requestId: 'r1' },
        { at: '2026-03-02T00:00:00.000Z', event: 'renewal-failed', level: 'warn', code: 'TRANSPORT_UNAVAILABLE' },
      ]);
      assert.equal(statSync(layout.logFile).mode & 0o777, 0o640);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
