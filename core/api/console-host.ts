import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_LIMITS } from '../bundles/bundle-format.js';
import { ConsoleService } from './console-service.js';
import { ConsoleDispatcher } from './dispatcher.js';
import { StagingArea, sweepStaging } from './staging-area.js';

export { OP_NAMES } from './contract.js';

export interface ConsoleHost {
  readonly svc: ConsoleService;
  readonly staging: StagingArea;
  readonly dispatcher: ConsoleDispatcher;
  /** Stops accepting work's results: removes the staging folder and closes the home (releasing its lock). */
  close(): void;
}

/**
 * A clock that shows `start` now and runs on at the real rate: a served console replaying a day
 * (tests, incident replays) still orders its audit entries and decisions in time.
 */
export function clockFrom(start: Date): () => Date {
  const offset = start.getTime() - Date.now();
  return () => new Date(Date.now() + offset);
}

export const COLDROOT_VERSION = (JSON.parse(readFileSync(fileURLToPath(new URL('../../package.json', import.meta.url)), 'utf8')) as { version: string }).version;

/**
 * What an adapter (the browser host, Electron main) holds for one console session: the home,
 * opened for writing (created and initialised on first use) and held until close; a staging folder
 * for the files the operator hands over; and the dispatcher that runs the contract's operations.
 */
export function openConsoleHost(opts: { home: string; operator: string; host: 'browser' | 'electron'; now?: () => Date; onInternalError?: (op: string, e: unknown) => void }): ConsoleHost {
  const svc = ConsoleService.open({ home: opts.home, operator: opts.operator, create: true, now: opts.now });
  try {
    svc.initialize();
    // A larger page cache keeps the inventory's indexes in memory from one page to the next.
    svc.store.db.pragma('cache_size = -262144');
    const incoming = join(svc.store.home, 'incoming');
    const session = join(incoming, randomBytes(8).toString('hex'));
    sweepStaging(incoming, session);
    const staging = new StagingArea(session, DEFAULT_LIMITS.maxBundleBytes);
    const dispatcher = new ConsoleDispatcher(svc, { staging, host: opts.host, version: COLDROOT_VERSION, onInternalError: opts.onInternalError });
    let closed = false;
    return {
      svc, staging, dispatcher,
      close() {
        if (closed) return;
        closed = true;
        try {
          staging.dispose();
        } finally {
          svc.close();
        }
      },
    };
  } catch (e) {
    svc.close();
    throw e;
  }
}
