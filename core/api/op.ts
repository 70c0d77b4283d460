import type { z } from 'zod';

/**
 * One console operation: its input and output schemas, whether it changes state ('write' ones run
 * one at a time), and a line for documentation. Adapters (IPC, HTTP) parse every input with
 * `input`; the dispatcher passes every output through `output`, so nothing undeclared crosses.
 */
export interface Op<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  readonly input: I;
  readonly output: O;
  readonly access: 'read' | 'write';
  readonly summary: string;
}

export function op<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, access: 'read' | 'write', summary: string): Op<I, O> {
  return { input, output, access, summary };
}
