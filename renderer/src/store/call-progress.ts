import type { ApiResult } from '../../../core/api/contract.js';
import type { ConsoleTransport } from '../api/console-transport.js';

export interface CallProgress {
  done: number;
  total: number;
  message: string;
}

let counter = 0;
export function newCallId(): string {
  counter += 1;
  return `c${Date.now().toString(36)}-${counter}`;
}

/**
 * Runs a long call and polls the host for its progress until it answers, so long work (a demo
 * fleet, an import of many bundles) shows what it is doing.
 */
export async function withProgress<T>(t: ConsoleTransport, run: (callId: string) => Promise<ApiResult<T>>, onProgress: (p: CallProgress) => void, everyMs = 250): Promise<ApiResult<T>> {
  const callId = newCallId();
  let finished = false;
  const poll = async () => {
    while (!finished) {
      await new Promise((r) => setTimeout(r, everyMs));
      if (finished) break;
      const p = await t.client.progress({ callId });
      if (p.ok && p.value && !finished) onProgress(p.value);
    }
  };
  void poll();
  try {
    return await run(callId);
  } finally {
    finished = true;
  }
}
