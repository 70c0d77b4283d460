import { isColdrootError } from '../errors.js';
import { handlers, type HandlerContext } from './console-handlers.js';
import type { ConsoleService } from './console-service.js';
import { api, isOpName, type ApiError, type ApiResult } from './contract.js';
import type { StagingArea } from './staging-area.js';

export interface DispatcherOptions {
  staging: StagingArea;
  host: 'browser' | 'electron';
  version: string;
  /** Where faults that are not ColdrootErrors are reported (stack only: inputs may hold secrets). */
  onInternalError?: (op: string, e: unknown) => void;
}

type Progress = { done: number; total: number; message: string };

/** The first schema problem, named by its path; the value itself is never echoed (it may be a PIN). */
function inputError(op: string, issues: ReadonlyArray<{ path: PropertyKey[]; message: string }>): ApiError {
  const issue = issues[0];
  const where = issue.path.length ? issue.path.map(String).join('.') : '(input)';
  return { code: 'INPUT_INVALID', message: `${op}: ${where}: ${issue.message}`, hint: 'Correct the highlighted field and try again' };
}

/**
 * Runs console operations for an adapter (Electron IPC, the browser host): looks the operation up
 * in the contract, parses the input with its schema (unknown keys refused), calls the handler over
 * ConsoleService, passes the output through its schema and maps failures to { code, message, hint }.
 * Operations that write run one at a time, so an import's long transaction never meets another
 * writer of this process. Nothing here logs inputs: secrets pass through and are forgotten.
 */
export class ConsoleDispatcher {
  private writes: Promise<unknown> = Promise.resolve();
  private readonly progress = new Map<string, Progress>();

  constructor(private readonly svc: ConsoleService, private readonly opts: DispatcherOptions) {}

  async dispatch(name: string, rawInput: unknown, callId?: string): Promise<ApiResult<unknown>> {
    if (!isOpName(name)) return { ok: false, error: { code: 'UNKNOWN_OPERATION', message: `No console operation named '${name.slice(0, 64)}'`, hint: 'The console and its host are different versions; restart the console' } };
    const op = api[name];
    const parsed = op.input.safeParse(rawInput ?? {});
    if (!parsed.success) return { ok: false, error: inputError(name, parsed.error.issues) };
    const ctx: HandlerContext = {
      staging: this.opts.staging,
      host: this.opts.host,
      version: this.opts.version,
      progress: (done, total, message) => { if (callId) this.progress.set(callId, { done, total, message }); },
      progressOf: (id) => this.progress.get(id) ?? null,
    };
    const run = async (): Promise<ApiResult<unknown>> => {
      try {
        const handler = handlers[name] as (svc: ConsoleService, input: unknown, ctx: HandlerContext) => unknown;
        const value = await handler(this.svc, parsed.data, ctx);
        const out = op.output.safeParse(value);
        if (!out.success) {
          this.opts.onInternalError?.(name, out.error);
          return { ok: false, error: { code: 'OUTPUT_INVALID', message: `${name} returned data outside its contract: ${out.error.issues[0]?.path.join('.')}: ${out.error.issues[0]?.message}`, hint: 'This is a Coldroot fault; report it' } };
        }
        return { ok: true, value: out.data };
      } catch (e) {
        if (isColdrootError(e)) return { ok: false, error: e.toJSON() };
        this.opts.onInternalError?.(name, e);
        return { ok: false, error: { code: 'INTERNAL_ERROR', message: `${name} failed: ${(e as Error)?.message ?? String(e)}`, hint: 'This is a Coldroot fault; the console host printed the details' } };
      } finally {
        if (callId) setTimeout(() => this.progress.delete(callId), 10_000).unref();
      }
    };
    if (op.access === 'read') return run();
    const result = this.writes.then(run, run);
    this.writes = result.catch(() => undefined);
    return result;
  }
}
