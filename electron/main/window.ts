import { BrowserWindow } from 'electron';
import { CONSOLE_ORIGIN, isConsoleUrl } from './security.js';

/** The console window: isolated, sandboxed, no Node, no navigation away, no new windows, no webviews. */
export function createConsoleWindow(preload: string): BrowserWindow {
  const win = new BrowserWindow({
    width: 1440,
    height: 920,
    title: 'Coldroot',
    show: false,
    backgroundColor: '#f4f5f7',
    webPreferences: {
      preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      // Middle-click would open links in new windows; the console has none to open.
      disableBlinkFeatures: 'Auxclick',
    },
  });
  win.webContents.setWindowOpenHandler(() => ({ action: 'deny' }));
  win.webContents.on('will-navigate', (event, url) => {
    if (!isConsoleUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-redirect', (event, url) => {
    if (!isConsoleUrl(url)) event.preventDefault();
  });
  win.webContents.on('will-attach-webview', (event) => event.preventDefault());
  win.once('ready-to-show', () => win.show());
  void win.loadURL(`${CONSOLE_ORIGIN}/index.html`);
  return win;
}
