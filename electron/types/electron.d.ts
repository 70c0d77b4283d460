// The part of Electron's API this app uses, so electron/ type-checks where the electron package
// (and its electron.d.ts) is absent: it is an optional dependency whose binary cannot be
// downloaded offline, and npm skips it on Node 20. Signatures are copied from Electron 41's
// electron.d.ts; the launch smoke test (test/console-electron.test.ts) exercises them where the
// binary exists. tsconfig.electron.json maps 'electron' here.
declare module 'electron' {
  interface Event { preventDefault(): void }
  interface WebFrameMain { readonly url: string }
  interface WebContents {
    readonly id: number;
    readonly mainFrame: WebFrameMain;
    setWindowOpenHandler(handler: (details: { url: string }) => { action: 'deny' } | { action: 'allow' }): void;
    on(event: 'will-navigate' | 'will-redirect', listener: (event: Event, url: string) => void): this;
    on(event: 'will-attach-webview', listener: (event: Event) => void): this;
    once(event: 'did-finish-load', listener: () => void): this;
    executeJavaScript(code: string): Promise<unknown>;
  }
  interface WebPreferences {
    preload?: string; contextIsolation?: boolean; sandbox?: boolean; nodeIntegration?: boolean; nodeIntegrationInWorker?: boolean; nodeIntegrationInSubFrames?: boolean;
    webSecurity?: boolean; allowRunningInsecureContent?: boolean; webviewTag?: boolean; experimentalFeatures?: boolean; navigateOnDragDrop?: boolean; safeDialogs?: boolean; spellcheck?: boolean; disableBlinkFeatures?: string;
  }
  class BrowserWindow {
    constructor(options?: { width?: number; height?: number; title?: string; show?: boolean; backgroundColor?: string; webPreferences?: WebPreferences });
    readonly webContents: WebContents;
    once(event: 'ready-to-show', listener: () => void): this;
    show(): void;
    loadURL(url: string): Promise<void>;
  }
  interface IpcMainInvokeEvent { readonly sender: WebContents; readonly senderFrame: WebFrameMain | null }
  const ipcMain: { handle(channel: string, listener: (event: IpcMainInvokeEvent, ...args: any[]) => unknown): void };
  const ipcRenderer: { invoke(channel: string, ...args: unknown[]): Promise<any> };
  const contextBridge: { exposeInMainWorld(apiKey: string, api: unknown): void };
  const app: {
    whenReady(): Promise<void>;
    on(event: 'window-all-closed' | 'will-quit', listener: () => void): void;
    quit(): void;
    exit(code?: number): void;
    requestSingleInstanceLock(): boolean;
  };
  interface CustomScheme { scheme: string; privileges?: { standard?: boolean; secure?: boolean; supportFetchAPI?: boolean; corsEnabled?: boolean } }
  const protocol: {
    registerSchemesAsPrivileged(schemes: CustomScheme[]): void;
    handle(scheme: string, handler: (request: Request) => Response | Promise<Response>): void;
  };
  interface OnBeforeRequestDetails { url: string }
  interface OnHeadersReceivedDetails { url: string; responseHeaders?: Record<string, string[]> }
  const session: {
    defaultSession: {
      setPermissionRequestHandler(handler: (webContents: WebContents, permission: string, callback: (granted: boolean) => void) => void): void;
      setPermissionCheckHandler(handler: () => boolean): void;
      webRequest: {
        onBeforeRequest(listener: (details: OnBeforeRequestDetails, callback: (response: { cancel?: boolean }) => void) => void): void;
        onHeadersReceived(listener: (details: OnHeadersReceivedDetails, callback: (response: { responseHeaders?: Record<string, string[] | string> }) => void) => void): void;
      };
    };
  };
}
