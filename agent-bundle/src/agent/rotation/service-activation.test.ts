import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServiceHealth, reloadService, type ServiceActivation } from './service-activation.js';

const base = (reload: ServiceActivation['reload']): ServiceActivation => ({ name: 'svc', certPath: '/nonexistent/cert.pem', keyPath: '/nonexistent/key.pem', reload });

test('a reload command that fails is reported with its exit code and stderr', async () => {
  await assert.rejects(reloadService(base({ command: [process.execPath, '-e', 'console.error("nginx: [emerg] bad config"); process.exit(3)'] })),
    (e: Error) => /^reload command '.*' failed \(3\): nginx: \[emerg\] bad config$/.test(e.message));
});

test('a reload command that hangs is stopped at its timeout', async () => {
  await assert.rejects(reloadService(base({ command: [process.execPath, '-e', 'setTimeout(() => {}, 60000)'] }), 300),
    (e: Error) => /did not finish within 300 ms$/.test(e.message));
});

test('a pid file without a process id is refused rather than signalling something else', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-reload-'));
  try {
    const pidFile = join(dir, 'nginx.pid');
    writeFileSync(pidFile, 'not-a-pid\n');
    await assert.rejects(reloadService(base({ signal: 'SIGHUP', pidFile })), { message: `pid file ${pidFile} holds no process id ("not-a-pid")` });
    writeFileSync(pidFile, '1\n');
    await assert.rejects(reloadService(base({ signal: 'SIGHUP', pidFile })), { message: `pid file ${pidFile} holds no process id ("1")` });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a health check against a port that does not speak TLS retries within its timeout, pacing with the injected sleep', async () => {
  const plain = createServer((s) => s.end('HTTP/1.0 400 Bad Request\r\n\r\n'));
  await new Promise<void>((r) => plain.listen(0, '127.0.0.1', r));
  const port = (plain.address() as { port: number }).port;
  const slept: number[] = [];
  try {
    const r = await checkServiceHealth({ ...base({ command: ['true'] }), healthCheck: { host: '127.0.0.1', port, timeoutMs: 1000 } }, new Uint8Array([1]), { retryIntervalMs: 250, sleep: async (ms) => { slept.push(ms); } });
    assert.equal(r.ok, false);
    assert.match((r as { reason: string }).reason, new RegExp(`^health check on 127\\.0\\.0\\.1:${port} failed after 4 attempts: TLS handshake with 127\\.0\\.0\\.1:${port} failed`));
    assert.deepEqual(slept, [250, 250, 250]);
  } finally {
    plain.close();
  }
  assert.deepEqual(await checkServiceHealth(base({ command: ['true'] }), new Uint8Array([1])), { ok: true, attempts: 0 });
});
