import type { ApiResult, ColdrootBridge, ConsoleClient, OpName, StagedFile } from '../../../core/api/contract.js';

import type { ConsoleTransport } from './console-transport.js';

export type { ConsoleTransport } from './console-transport.js';

declare global {
  interface Window {
    coldroot?: ColdrootBridge;
  }
}

const transportError = (message: string): ApiResult<never> => ({ ok: false, error: { code: 'TRANSPORT_FAILED', message, hint: 'Check that the console host (coldroot serve or the desktop app) is still running, then reload' } });

function clientOf(invoke: (op: OpName, input: unknown, callId?: string) => Promise<ApiResult<unknown>>): ConsoleClient {
  // Any property is an operation; the host refuses names the contract does not have.
  return new Proxy({} as ConsoleClient, {
    get: (_t, op) => (typeof op !== 'string' || op === 'then' ? undefined : (input: unknown, call?: { callId?: string }) => invoke(op as OpName, input, call?.callId)),
  });
}

export function bridgeTransport(bridge: ColdrootBridge): ConsoleTransport {
  return {
    kind: 'electron',
    client: clientOf((op, input, callId) => (bridge[op] as (i: unknown, c?: string) => Promise<ApiResult<unknown>>)(input, callId)),
    async stage(file, onProgress) {
      const bytes = await file.arrayBuffer();
      onProgress?.(bytes.byteLength, bytes.byteLength);
      return bridge.stage(file.name, bytes);
    },
  };
}

/** Same-origin calls to the browser host: the session cookie and the Origin header authenticate them. */
export function httpTransport(base = ''): ConsoleTransport {
  return {
    kind: 'browser',
    client: clientOf(async (op, input, callId) => {
      try {
        const res = await fetch(`${base}/api/${op}`, {
          method: 'POST', credentials: 'same-origin', headers: { 'Content-Type': 'application/json', ...(callId ? { 'X-Coldroot-Call': callId } : {}) }, body: JSON.stringify(input ?? {}),
        });
        return (await res.json()) as ApiResult<unknown>;
      } catch (e) {
        return transportError(`${op}: ${(e as Error).message}`);
      }
    }),
    stage(file, onProgress) {
      return new Promise((resolve) => {
        const xhr = new XMLHttpRequest();
        xhr.open('POST', `${base}/api/stage?name=${encodeURIComponent(file.name)}`);
        xhr.setRequestHeader('Content-Type', 'application/octet-stream');
        xhr.upload.onprogress = (e) => onProgress?.(e.loaded, e.total);
        xhr.onload = () => {
          try {
            resolve(JSON.parse(xhr.responseText) as ApiResult<StagedFile>);
          } catch {
            resolve(transportError(`upload of ${file.name}: HTTP ${xhr.status}`));
          }
        };
        xhr.onerror = () => resolve(transportError(`upload of ${file.name} failed`));
        xhr.send(file as unknown as Blob);
      });
    },
  };
}

export function defaultTransport(): ConsoleTransport {
  return window.coldroot ? bridgeTransport(window.coldroot) : httpTransport();
}
