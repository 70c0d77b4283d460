import { mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { z } from 'zod';
import { ColdrootError } from '../../../../core/errors.js';
import { writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import type { StateLayout } from '../state/state-layout.js';

/**
 * agent-state.json: what the lifecycle remembers between ticks and restarts — counters for the
 * metrics, the request in flight and the backoff. Written atomically after each change, so a
 * crash leaves the previous or the next state, and a restart continues the same backoff.
 */

const Iso = z.string().datetime();

export const RenewalStateSchema = z.strictObject({
  /** idle: nothing in flight; pending: a request sent, waiting for its answer; backoff: a failure, waiting to retry; gave-up: maxAttempts reached, retrying at the longest delay. */
  status: z.enum(['idle', 'pending', 'backoff', 'gave-up']),
  /** Consecutive failures since the last success. */
  failures: z.number().int().min(0),
  nextAttemptAt: Iso.nullable(),
  pendingRequestId: z.string().nullable(),
  /** When the pending request was created and whether it reached the transport. */
  requestedAt: Iso.nullable(),
  sent: z.boolean(),
  bundleFile: z.string().nullable(),
  lastError: z.strictObject({ code: z.string(), message: z.string(), at: Iso }).nullable(),
});

export const AgentStateSchema = z.strictObject({
  version: z.literal(1),
  counters: z.strictObject({ attempts: z.number().int(), successes: z.number().int(), failures: z.number().int() }),
  lastSuccessAt: Iso.nullable(),
  lastTickAt: Iso.nullable(),
  renewal: RenewalStateSchema,
  clockSkew: z.strictObject({ reason: z.string(), expectedAtLeast: Iso, behindSeconds: z.number(), detectedAt: Iso }).nullable(),
  investigation: z.strictObject({ until: Iso, collectIntervalSeconds: z.number().int(), logExcerpts: z.boolean(), reason: z.string() }).nullable(),
  /** The console's latest single-use nonce for a TPM quote (from a renewal bundle's instructions). */
  attestationNonce: z.string().regex(/^[0-9a-f]{64}$/).nullable().optional(),
});

export type AgentState = z.infer<typeof AgentStateSchema>;
export type RenewalState = z.infer<typeof RenewalStateSchema>;

export function initialAgentState(): AgentState {
  return {
    version: 1,
    counters: { attempts: 0, successes: 0, failures: 0 },
    lastSuccessAt: null,
    lastTickAt: null,
    renewal: { status: 'idle', failures: 0, nextAttemptAt: null, pendingRequestId: null, requestedAt: null, sent: false, bundleFile: null, lastError: null },
    clockSkew: null,
    investigation: null,
    attestationNonce: null,
  };
}

export async function readAgentState(layout: StateLayout): Promise<AgentState> {
  let text: string;
  try {
    text = await readFile(layout.agentState, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return initialAgentState();
    throw e;
  }
  const r = AgentStateSchema.safeParse(JSON.parse(text));
  if (!r.success) {
    throw new ColdrootError('AGENT_STATE_INVALID', `${layout.agentState} does not hold a valid agent state: ${r.error.issues[0].path.join('.')}: ${r.error.issues[0].message}`,
      `Move ${layout.agentState} aside; the agent starts again from its certificates (counters restart at zero)`, 'failure');
  }
  return r.data;
}

export async function writeAgentState(layout: StateLayout, state: AgentState, fs?: DurableFs): Promise<void> {
  await mkdir(dirname(layout.agentState), { recursive: true });
  await writeFileAtomic(layout.agentState, `${JSON.stringify(state, null, 2)}\n`, { fs });
}
