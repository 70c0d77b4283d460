/**
 * An error an operator can act on: a stable code, what went wrong (naming the input and
 * its value) and the next step. Adapters map it to exit code 2 (bad input) or 1 (failure).
 */
export class ColdrootError extends Error {
  readonly code: string;
  readonly hint: string;
  /** 'input': the operator's input or environment is wrong (exit 2). 'failure': we failed (exit 1). */
  readonly kind: 'input' | 'failure';

  constructor(code: string, message: string, hint: string, kind: 'input' | 'failure' = 'input') {
    super(message);
    this.name = 'ColdrootError';
    this.code = code;
    this.hint = hint;
    this.kind = kind;
  }

  toJSON(): { code: string; message: string; hint: string } {
    return { code: this.code, message: this.message, hint: this.hint };
  }
}

export function isColdrootError(e: unknown): e is ColdrootError {
  return e instanceof ColdrootError;
}
