import { app, protocol } from 'electron';
import { userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { register } from 'tsx/esm/api';
import type { ConsoleHost } from '../../core/api/console-host.js';
import { registerConsoleIpc } from './ipc.js';
import { CONSOLE_SCHEME, hardenSession, serveRenderer } from './security.js';
import { createConsoleWindow } from './window.js';

// out/main/index.js -> the app root (package.json, core/, out/renderer).
const APP_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const SMOKE = process.env.COLDROOT_ELECTRON_SMOKE === '1';

protocol.registerSchemesAsPrivileged([{ scheme: CONSOLE_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: false, corsEnabled: false } }]);
if (!app.requestSingleInstanceLock()) app.quit();

function argValue(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

/** Core runs as the CLI runs it: TypeScript through tsx, so its worker threads and native modules stay as they are. */
async function loadCore(): Promise<{ host: ConsoleHost; opNames: readonly string[] }> {
  register();
  const { openConsoleHost, OP_NAMES } = (await import(pathToFileURL(join(APP_ROOT, 'core/api/console-host.ts')).href)) as typeof import('../../core/api/console-host.js');
  const { resolveHome } = (await import(pathToFileURL(join(APP_ROOT, 'core/store/home.ts')).href)) as typeof import('../../core/store/home.js');
  const host = openConsoleHost({
    home: resolveHome(argValue('--home')), operator: process.env.COLDROOT_OPERATOR ?? userInfo().username, host: 'electron',
    onInternalError: (op, e) => process.stderr.write(`console: ${op} failed: ${(e as Error)?.stack ?? String(e)}\n`),
  });
  return { host, opNames: OP_NAMES };
}

app.whenReady().then(async () => {
  hardenSession();
  serveRenderer(join(APP_ROOT, 'out', 'renderer'));
  const { host, opNames } = await loadCore();
  app.on('will-quit', () => host.close());
  const win = createConsoleWindow(join(APP_ROOT, 'out', 'preload', 'index.cjs'));
  registerConsoleIpc(win, host, opNames);
  if (SMOKE) {
    // The launch smoke test: the console rendered and reached core through the preload bridge.
    win.webContents.once('did-finish-load', async () => {
      for (let i = 0; i < 100; i++) {
        const title = await win.webContents.executeJavaScript("document.querySelector('#screen-title')?.textContent ?? ''");
        if (title) {
          process.stdout.write(`COLDROOT_ELECTRON_SMOKE_OK ${title}\n`);
          return app.quit();
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      process.stdout.write('COLDROOT_ELECTRON_SMOKE_FAILED no screen rendered\n');
      app.exit(1);
    });
  }
}).catch((e: unknown) => {
  process.stderr.write(`Coldroot could not start: ${(e as Error)?.message ?? String(e)}\n`);
  app.exit(1);
});

app.on('window-all-closed', () => app.quit());
