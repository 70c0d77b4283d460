// The loopback browser host (`coldroot serve`): what it refuses — no token, a wrong token, another
// Origin, another Host (DNS rebinding), a non-loopback bind — and what it serves once authenticated.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { assertLoopback, CONSOLE_CSP, startBrowserHost, type BrowserHost } from '../core/api/browser-host.js';
import { clockFrom, openConsoleHost, type ConsoleHost } from '../core/api/console-host.js';
import { coldroot } from './helpers/cli.js';

interface Reply { status: number; headers: Record<string, string | string[] | undefined>; body: string }

function http(host: BrowserHost, path: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: host.port, path, method: opts.method ?? 'GET', headers: { Host: `127.0.0.1:${host.port}`, ...opts.headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

describe('browser host', () => {
  let dir: string;
  let session: ConsoleHost;
  let host: BrowserHost;
  let api: (op: string, body: unknown, headers?: Record<string, string>) => Promise<Reply>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'coldroot-host-'));
    const ui = join(dir, 'ui');
    mkdirSync(join(ui, 'assets'), { recursive: true });
    writeFileSync(join(ui, 'index.html'), '<!doctype html><title>console</title>');
    writeFileSync(join(ui, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'outside the renderer');
    session = openConsoleHost({ home: join(dir, 'home'), operator: 'tester', host: 'browser' });
    host = await startBrowserHost({ dispatcher: session.dispatcher, staging: session.staging, rendererDir: ui });
    api = (op, body, headers = {}) => http(host, `/api/${op}`, { method: 'POST', headers: { Origin: host.origin, 'Content-Type': 'application/json', 'X-Coldroot-Token': host.token, ...headers }, body: JSON.stringify(body) });
  });
  after(async () => {
    await host.close();
    session.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('binds loopback only: another interface or a host name is refused', async () => {
    assert.match(host.url, /^http:\/\/127\.0\.0\.1:\d+\/\?token=[A-Za-z0-9_-]{43}$/);
    for (const bad of ['0.0.0.0', '192.168.1.10', '::', 'localhost']) {
      assert.throws(() => assertLoopback(bad), { code: 'NON_LOOPBACK_BIND' });
      await assert.rejects(startBrowserHost({ dispatcher: session.dispatcher, staging: session.staging, rendererDir: dir, host: bad }), { code: 'NON_LOOPBACK_BIND' });
    }
    assert.throws(() => assertLoopback('0.0.0.0'), { message: 'Refusing to serve the console on 0.0.0.0: it is not a loopback address' });
  });

  test('coldroot serve --host 0.0.0.0 exits 2 and touches no home', () => {
    const home = join(dir, 'never-made');
    const r = coldroot(['serve', '--home', home, '--host', '0.0.0.0', '--json']);
    assert.equal(r.code, 2);
    assert.equal(r.json.error.code, 'NON_LOOPBACK_BIND');
    assert.equal(existsSync(home), false);
  });

  test('coldroot serve --now with a time that is not ISO 8601 exits 2 with the reason and touches no home', () => {
    const home = join(dir, 'never-made-either');
    const r = coldroot(['serve', '--home', home, '--now', 'yesterday', '--json']);
    assert.equal(r.code, 2);
    assert.deepEqual([r.json.error.code, r.json.error.message], ['BAD_TIME', "--now 'yesterday' is not an ISO 8601 time"]);
    assert.equal(existsSync(home), false);
  });

  test("a console host on a clock started at a given time dates its work by that clock, which runs on", async () => {
    const start = new Date('2026-02-09T01:00:00Z');
    const replay = openConsoleHost({ home: join(dir, 'replay-home'), operator: 'tester', host: 'browser', now: clockFrom(start) });
    try {
      const [init] = replay.svc.store.audit.list({ order: 'asc', offset: 0, limit: 1 });
      const at = Date.parse(init.at) - start.getTime();
      assert.ok(at >= 0 && at < 60_000, `home.init at ${init.at}`);
      await new Promise((r) => setTimeout(r, 20));
      assert.ok(replay.svc.ctx.now().getTime() > Date.parse(init.at), 'the clock runs on');
    } finally {
      replay.close();
    }
  });

  test('without the token nothing is served: not the page, not the API', async () => {
    const page = await http(host, '/');
    assert.equal(page.status, 401);
    assert.equal(JSON.parse(page.body).error.code, 'TOKEN_REQUIRED');
    assert.equal((await http(host, '/assets/app.js')).status, 401);
    const call = await api('session', {}, { 'X-Coldroot-Token': '' });
    assert.equal(call.status, 401);
    const wrong = await api('session', {}, { 'X-Coldroot-Token': `${host.token.slice(0, -1)}x` });
    assert.equal(wrong.status, 401);
    assert.equal((await http(host, '/?token=not-the-token')).status, 401);
  });

  test('the printed URL trades the token for an HttpOnly, SameSite=Strict cookie and leaves the address bar', async () => {
    const first = await http(host, `/?token=${host.token}`);
    assert.equal(first.status, 303);
    assert.equal(first.headers.location, '/');
    const cookie = String(first.headers['set-cookie']);
    assert.match(cookie, /^coldroot_session=[A-Za-z0-9_-]+; HttpOnly; SameSite=Strict; Path=\/$/);
    const page = await http(host, '/', { headers: { Cookie: cookie.split(';')[0] } });
    assert.equal(page.status, 200);
    assert.equal(page.headers['content-security-policy'], CONSOLE_CSP);
    assert.equal(page.headers['x-frame-options'], 'DENY');
    assert.match(page.body, /<title>console<\/title>/);
  });

  test('API calls from another Origin, or with none, are refused', async () => {
    const evil = await api('session', {}, { Origin: 'http://evil.example' });
    assert.equal(evil.status, 403);
    assert.deepEqual(JSON.parse(evil.body).error.code, 'ORIGIN_REFUSED');
    const lookalike = await api('session', {}, { Origin: `http://127.0.0.1:${host.port + 1}` });
    assert.equal(lookalike.status, 403);
    const none = await http(host, '/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-Coldroot-Token': host.token }, body: '{}' });
    assert.equal(none.status, 403);
    const form = await api('session', {}, { 'Content-Type': 'application/x-www-form-urlencoded' });
    assert.equal(form.status, 415);
    const ok = await api('session', {});
    assert.equal(ok.status, 200);
    assert.equal(JSON.parse(ok.body).value.firstRun, true);
  });

  test('a request naming another host (DNS rebinding) is refused', async () => {
    const r = await http(host, '/api/session', { method: 'POST', headers: { Host: `evil.example:${host.port}`, Origin: host.origin, 'X-Coldroot-Token': host.token, 'Content-Type': 'application/json' }, body: '{}' });
    assert.equal(r.status, 421);
    assert.equal(JSON.parse(r.body).error.code, 'HOST_REFUSED');
  });

  test('only the built console is served: no path leaves its folder', async () => {
    const h = { 'X-Coldroot-Token': host.token };
    assert.equal((await http(host, '/assets/app.js', { headers: h })).status, 200);
    for (const p of ['/../secret.txt', '/%2e%2e/secret.txt', '/assets/../../secret.txt', '/nope.html']) {
      const r = await http(host, p, { headers: h });
      assert.equal(r.status, 404, p);
      assert.ok(!r.body.includes('outside the renderer'), p);
    }
  });

  test('operations answer with the contract: results, and refusals as { code, message, hint }', async () => {
    const bad = JSON.parse((await api('revokeCertificate', { caId: 'x', serial: '01', reason: 'bored' })).body);
    assert.equal(bad.ok, false);
    assert.equal(bad.error.code, 'INPUT_INVALID');
    assert.match(bad.error.message, /^revokeCertificate: reason: /);
    const missing = JSON.parse((await api('revokeCertificate', { caId: 'no-ca', serial: '01', reason: 'superseded' })).body);
    assert.deepEqual(missing.error, { code: 'CA_NOT_FOUND', message: "No CA with id 'no-ca' in this home", hint: 'List the CAs with: coldroot ca list' });
    assert.equal(JSON.parse((await api('nope', {})).body).error.code, 'UNKNOWN_OPERATION');
    const get = await http(host, '/api/session', { headers: { 'X-Coldroot-Token': host.token, Origin: host.origin } });
    assert.equal(get.status, 405);
  });

  test('uploads land in the session staging folder under a random id, within the size limit', async () => {
    const up = await http(host, '/api/stage?name=..%2F..%2Fevil.tar', { method: 'POST', headers: { Origin: host.origin, 'X-Coldroot-Token': host.token, 'Content-Type': 'application/octet-stream' }, body: Buffer.from('not a bundle') });
    const staged = JSON.parse(up.body).value;
    assert.match(staged.id, /^[a-f0-9]{32}$/);
    assert.equal(staged.name, 'evil.tar');
    assert.equal(staged.size, 12);
    const listed = JSON.parse((await api('listStaged', {})).body).value;
    assert.deepEqual(listed.map((f: { id: string }) => f.id), [staged.id]);
    const report = JSON.parse((await api('inspectBundle', { stagedId: staged.id })).body).value;
    assert.equal(report.verdict, 'rejected');
    assert.equal(report.failure.check, 'archive');
    const unknown = JSON.parse((await api('inspectBundle', { stagedId: 'f'.repeat(32) })).body);
    assert.equal(unknown.error.code, 'STAGED_FILE_UNKNOWN');
  });
});
