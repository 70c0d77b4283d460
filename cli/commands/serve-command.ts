import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, Option } from 'commander';
import { assertLoopback, startBrowserHost, type BrowserHost } from '../../core/api/browser-host.js';
import { clockFrom, openConsoleHost } from '../../core/api/console-host.js';
import { ColdrootError } from '../../core/errors.js';
import { resolveHome } from '../../core/store/home.js';
import { globals } from '../console-session.js';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const RENDERER_DIR = join(REPO, 'out', 'renderer');
const BROWSERS = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable', 'microsoft-edge'];

function findBrowser(): string | null {
  for (const b of BROWSERS) {
    const r = spawnSync('sh', ['-c', `command -v ${b}`], { encoding: 'utf8' });
    if (r.status === 0 && r.stdout.trim()) return r.stdout.trim();
  }
  return null;
}

/**
 * Opens the console in a Chromium app window with a throw-away profile. The token-bearing URL goes
 * through a page in a private temp folder, so it never appears in the process list. Without a
 * display, or when the browser fails at once, the console keeps serving and the URL stays printed.
 */
function openAppWindow(url: string, onClosed: () => void): { opened: string | null; why?: string } {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) return { opened: null, why: 'no display (DISPLAY and WAYLAND_DISPLAY are unset)' };
  const browser = findBrowser();
  if (!browser) return { opened: null, why: `no Chromium-family browser found (${BROWSERS.join(', ')})` };
  const dir = mkdtempSync(join(tmpdir(), 'coldroot-app-'));
  const page = join(dir, 'open.html');
  writeFileSync(page, `<!doctype html><meta http-equiv="refresh" content="0;url=${url}"><title>Coldroot</title>`, { mode: 0o600 });
  const started = Date.now();
  const child = spawn(browser, [`--app=file://${page}`, `--user-data-dir=${join(dir, 'profile')}`, '--no-first-run', '--no-default-browser-check', '--disable-sync', '--disable-background-networking'], { stdio: 'ignore' });
  child.on('exit', (code) => {
    rmSync(dir, { recursive: true, force: true });
    if (code !== 0 && Date.now() - started < 5000) process.stderr.write(`${browser} could not open a window (exit ${code}); the console keeps serving at the address above.\n`);
    else onClosed();
  });
  child.on('error', () => undefined);
  return { opened: browser };
}

export function serveCommand(): Command {
  return new Command('serve').description('serve the operator console to a browser on this machine (127.0.0.1 only, per-session token)')
    .option('--port <N>', 'port (default: a free one)', (v) => Number(v))
    .option('--host <ADDR>', 'loopback address to bind: 127.0.0.1 or ::1', '127.0.0.1')
    .option('--open', 'open it in a Chromium app window when one is installed; stop when the window closes')
    .addOption(new Option('--now <ISO_TIME>', "the console's clock starts at this time and runs on from it (tests, incident replays)").hideHelp())
    .action(async (o: { port?: number; host: string; open?: boolean; now?: string }, cmd: Command) => {
      const g = globals(cmd);
      if (o.port !== undefined && (!Number.isInteger(o.port) || o.port < 0 || o.port > 65535)) {
        throw new ColdrootError('BAD_PORT', `--port ${o.port} is not a port number`, 'Give 1..65535, or leave --port out for a free one');
      }
      assertLoopback(o.host);
      const start = o.now === undefined ? null : new Date(o.now);
      if (start && (!/^\d{4}-\d{2}-\d{2}T/.test(o.now!) || Number.isNaN(start.getTime()))) {
        throw new ColdrootError('BAD_TIME', `--now '${o.now}' is not an ISO 8601 time`, 'Write it like 2026-02-09T06:00:00Z');
      }
      if (!existsSync(join(RENDERER_DIR, 'index.html'))) {
        throw new ColdrootError('CONSOLE_NOT_BUILT', `The console UI is not built (${RENDERER_DIR}/index.html is missing)`, 'Run: npm run build:console (npm start builds it too)', 'failure');
      }
      const session = openConsoleHost({
        home: resolveHome(g.home), operator: g.operator ?? process.env.COLDROOT_OPERATOR ?? userInfo().username, host: 'browser', now: start ? clockFrom(start) : undefined,
        onInternalError: (op, e) => process.stderr.write(`console: ${op} failed: ${(e as Error)?.stack ?? String(e)}\n`),
      });
      let host: BrowserHost;
      try {
        host = await startBrowserHost({ dispatcher: session.dispatcher, staging: session.staging, rendererDir: resolve(RENDERER_DIR), host: o.host, port: o.port });
      } catch (e) {
        session.close();
        throw e;
      }
      let stopping = false;
      const stop = async (): Promise<void> => {
        if (stopping) return;
        stopping = true;
        await host.close();
        session.close();
        process.exit(0);
      };
      for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => void stop());
      // Read the overview once while the browser starts, so the first screen finds the inventory's indexes in memory.
      setImmediate(() => void session.svc.overview().catch(() => undefined));
      const app = o.open ? openAppWindow(host.url, () => void stop()) : { opened: null };
      const opened = app.opened;
      const home = session.svc.store.home;
      if (start) process.stderr.write(`The console's clock was set to ${start.toISOString()} (--now) and runs on from it: what it signs and records is dated by it.\n`);
      if (g.json) process.stdout.write(`${JSON.stringify({ url: host.url, origin: host.origin, port: host.port, home, opened })}\n`);
      else {
        process.stdout.write(`Coldroot console for ${home}\n  ${host.url}\n`);
        process.stdout.write(opened ? `Opened in ${opened}; closing the window stops the console.\n` : `Open the address above in a browser on this machine${app.why ? ` (not opened: ${app.why})` : ''}; Ctrl-C stops the console.\n`);
      }
    });
}
