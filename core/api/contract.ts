import type { z } from 'zod';
import type { Op } from './op.js';
import { agentOps } from './ops/agent-ops.js';
import { auditOps } from './ops/audit-ops.js';
import { bundleOps, StagedFile as StagedFileSchema } from './ops/bundle-ops.js';
import { caOps } from './ops/ca-ops.js';
import { certificateOps } from './ops/certificate-ops.js';
import { riskOps } from './ops/risk-ops.js';
import { rolloutOps } from './ops/rollout-ops.js';
import { systemOps } from './ops/system-ops.js';

/**
 * The console's one API contract. Every operation the UI can ask for is described here once, with
 * runtime schemas for its input and output; the dispatcher implements it over ConsoleService,
 * Electron main registers one IPC handler per entry, the preload exposes the same names, and the
 * loopback browser host serves them as POST /api/<name>. The renderer imports types only.
 * Depends on zod alone, so it type-checks without Node's types.
 */
export const api = {
  ...systemOps,
  ...caOps,
  ...certificateOps,
  ...bundleOps,
  ...auditOps,
  ...agentOps,
  ...riskOps,
  ...rolloutOps,
} as const satisfies Record<string, Op>;

export type ConsoleOps = typeof api;
export type OpName = keyof ConsoleOps;
/** What a caller sends (defaults may be left out). */
export type In<K extends OpName> = z.input<ConsoleOps[K]['input']>;
/** What the dispatcher's handler receives, after parsing. */
export type Parsed<K extends OpName> = z.output<ConsoleOps[K]['input']>;
export type Out<K extends OpName> = z.output<ConsoleOps[K]['output']>;

/** The API as a set of async functions: `(input) => Promise<output>`, throwing on failure. */
export type ApiOf<T extends Record<string, Op>> = { [K in keyof T]: (input: z.input<T[K]['input']>) => Promise<z.output<T[K]['output']>> };
export type ConsoleApi = ApiOf<ConsoleOps>;

/** An error an operator can act on, as it crosses a process boundary. */
export interface ApiError {
  code: string;
  message: string;
  hint: string;
}
export type ApiResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** Per-call options an adapter carries beside the input: an id under which the call reports progress. */
export interface CallOptions {
  callId?: string;
}

/** The API as the renderer sees it across IPC or HTTP: every call resolves to a result, never throws. */
export type ConsoleClient = { [K in OpName]: (input: In<K>, call?: CallOptions) => Promise<ApiResult<Out<K>>> };

/**
 * What Electron's preload exposes as window.coldroot: one function per operation (the same list),
 * plus `stage` to hand over a dropped or chosen file's bytes.
 */
export type ColdrootBridge = { [K in OpName]: (input: In<K>, callId?: string) => Promise<ApiResult<Out<K>>> } & {
  stage(name: string, bytes: ArrayBuffer): Promise<ApiResult<StagedFile>>;
};

export const OP_NAMES = Object.keys(api) as OpName[];

export function isOpName(name: string): name is OpName {
  return Object.prototype.hasOwnProperty.call(api, name);
}

/** A file handed to the console for import, held in the session's staging folder. */
export type StagedFile = z.output<typeof StagedFileSchema>;
