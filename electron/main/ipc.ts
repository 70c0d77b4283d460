import { ipcMain, type BrowserWindow, type IpcMainInvokeEvent } from 'electron';
import type { ConsoleHost } from '../../core/api/console-host.js';
import { isConsoleUrl } from './security.js';

const refused = { ok: false, error: { code: 'IPC_SENDER_REFUSED', message: 'The request did not come from the console window', hint: 'Only the console page may call the console API' } } as const;

/** Only the console window's top frame, showing the console's own page, may call the API. */
function trusted(win: BrowserWindow, event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  return !!frame && event.sender.id === win.webContents.id && frame === event.sender.mainFrame && isConsoleUrl(frame.url);
}

/**
 * One ipcMain.handle per operation of the contract. The dispatcher parses each input with the
 * operation's schema and maps failures to { code, message, hint }; nothing here logs inputs.
 */
export function registerConsoleIpc(win: BrowserWindow, host: ConsoleHost, opNames: readonly string[]): void {
  for (const op of opNames) {
    ipcMain.handle(`coldroot:${op}`, (event, input: unknown, callId: unknown) => {
      if (!trusted(win, event)) return refused;
      return host.dispatcher.dispatch(op, input, typeof callId === 'string' && /^[A-Za-z0-9-]{1,64}$/.test(callId) ? callId : undefined);
    });
  }
  ipcMain.handle('coldroot:stage', async (event, name: unknown, bytes: unknown) => {
    if (!trusted(win, event)) return refused;
    if (typeof name !== 'string' || !(bytes instanceof ArrayBuffer || ArrayBuffer.isView(bytes))) {
      return { ok: false, error: { code: 'INPUT_INVALID', message: 'stage: expects a file name and its bytes', hint: 'Drop or choose the file again' } };
    }
    const data = bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    try {
      return { ok: true, value: await host.staging.stage(name, data) };
    } catch (e) {
      const err = e as { code?: string; message?: string; hint?: string };
      return { ok: false, error: { code: err.code ?? 'STAGE_FAILED', message: err.message ?? String(e), hint: err.hint ?? 'Try again' } };
    }
  });
}
