import { createStore, type StoreApi } from 'zustand/vanilla';
import type { ConsoleTransport } from '../api/console-transport.js';
import { agentsSlice, type AgentsSlice } from './agents-slice.js';
import { auditSlice, type AuditSlice } from './audit-slice.js';
import { bundlesSlice, type BundlesSlice } from './bundles-slice.js';
import { caSlice, type CaSlice } from './ca-slice.js';
import { certificatesSlice, type CertificatesSlice } from './certificates-slice.js';
import { riskSlice, type RiskSlice } from './risk-slice.js';
import { sessionSlice, type SessionSlice } from './session-slice.js';

export type ConsoleState = SessionSlice & CaSlice & CertificatesSlice & BundlesSlice & AuditSlice & AgentsSlice & RiskSlice;
export type ConsoleStore = StoreApi<ConsoleState>;

/**
 * One store per window, made of slices. It takes the transport, so tests hand it a fake API and
 * start from a fresh store each time. Secrets (PINs, passphrases) never enter it: the ceremony
 * screens keep them in their own state and send them with the one call that needs them.
 */
export function createConsoleStore(transport: ConsoleTransport): ConsoleStore {
  return createStore<ConsoleState>()((...a) => ({
    ...sessionSlice(transport)(...a),
    ...caSlice(transport)(...a),
    ...certificatesSlice(transport)(...a),
    ...bundlesSlice(transport)(...a),
    ...auditSlice(transport)(...a),
    ...agentsSlice(transport)(...a),
    ...riskSlice(transport)(...a),
  }));
}
