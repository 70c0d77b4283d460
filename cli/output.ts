import { ColdrootError } from '../core/errors.js';

export interface OutputOptions {
  json?: boolean;
}

/** Prints a command's result: JSON with --json, else the human text. */
export function emit(opts: OutputOptions, value: unknown, text: () => string): void {
  process.stdout.write(opts.json ? `${JSON.stringify(value, null, 2)}\n` : `${text()}\n`);
}

/** Maps an error to the exit code contract: 2 for bad input, 1 for anything else. */
export function reportError(e: unknown, json: boolean): number {
  const err = e instanceof ColdrootError
    ? e
    : new ColdrootError('INTERNAL_ERROR', (e as Error)?.message ?? String(e), 'This is a Coldroot fault; re-run with COLDROOT_DEBUG=1 and report the stack trace', 'failure');
  if (json) process.stdout.write(`${JSON.stringify({ error: err.toJSON() })}\n`);
  process.stderr.write(`error: ${err.message}. ${err.hint}\n`);
  if (process.env.COLDROOT_DEBUG && !(e instanceof ColdrootError)) process.stderr.write(`${(e as Error)?.stack}\n`);
  return err.kind === 'input' ? 2 : 1;
}
