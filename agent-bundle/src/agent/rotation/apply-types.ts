import type { AgentInstruction } from '../../../../core/bundles/payloads/renewal.js';
import type { DurableFs } from '../state/atomic-file.js';
import type { AgentEvent } from '../state/agent-event.js';
import type { RotationStep } from '../state/rotation-state.js';
import type { StateLayout } from '../state/state-layout.js';
import type { ActivationOptions, ServiceActivation } from './service-activation.js';

export interface ApplyOptions {
  layout: StateLayout;
  host: string;
  now: Date;
  trustAnchors: Uint8Array[];
  services?: ServiceActivation[];
  log?: (event: AgentEvent) => void;
  fs?: DurableFs;
  crashAfter?: RotationStep;
  /** The agent runs a TLS front (config `canary`): a bundle's canary plan is run by it instead of switching at once. */
  canaryFront?: boolean;
  /** Health-check pacing and reload limits for the services. */
  activation?: Omit<ActivationOptions, 'log' | 'fs'>;
}

export type ApplyOutcome =
  | { status: 'installed'; generation: string; serial: string; notAfter: string; instruction?: AgentInstruction; rollout?: string }
  /** Staged and proven; the TLS front now serves it to a share of clients (canary-state.json). */
  | { status: 'canary'; generation: string; serial: string; planId: string; exposurePercent: number }
  | { status: 'duplicate'; generation: string }
  | { status: 'stale'; reason: string }
  | { status: 'not-for-us'; reason: string }
  | { status: 'rejected'; code: string; message: string }
  | { status: 'rolled-back'; code: string; message: string }
  /** The device could not write (ENOSPC, EIO…): nothing changed, a retry may succeed. */
  | { status: 'failed'; code: string; message: string };

