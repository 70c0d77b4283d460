import { GenerationStore } from '../rotation/generation-store.js';
import { readRotationState } from '../state/rotation-state.js';
import type { StateLayout } from '../state/state-layout.js';
import type { AgentConfig } from '../config/agent-config.js';
import { readBootstrapCredential } from '../lifecycle/agent-credentials.js';
import { readAgentState } from '../lifecycle/agent-state-file.js';
import { validityOf } from '../lifecycle/agent-loop.js';
import { watchCertificate } from '../lifecycle/certificate-watch.js';
import { detectClockSkew } from '../lifecycle/clock-skew.js';

/** What `coldroot-agent status` shows: the management certificate's state and the renewal state. */
export interface AgentStatus {
  host: string;
  stateDir: string;
  at: string;
  certificate: {
    state: string;
    daysLeft: number | null;
    notBefore: string | null;
    notAfter: string | null;
    serial: string | null;
    fingerprintSha256: string | null;
    certPath: string | null;
  };
  bootstrap: { present: boolean; notAfter: string | null; valid: boolean };
  renewal: {
    status: string;
    due: boolean;
    thresholdDays: number;
    failures: number;
    nextAttemptAt: string | null;
    pendingRequestId: string | null;
    requestedAt: string | null;
    sent: boolean;
    lastError: { code: string; message: string; at: string } | null;
  };
  counters: { attempts: number; successes: number; failures: number };
  lastSuccessAt: string | null;
  lastTickAt: string | null;
  clockSkew: { reason: string; expectedAtLeast: string; behindSeconds: number } | null;
  investigation: { until: string; collectIntervalSeconds: number; logExcerpts: boolean; reason: string } | null;
}

export async function agentStatus(config: AgentConfig, layout: StateLayout, now: Date): Promise<AgentStatus> {
  const state = await readAgentState(layout);
  const active = await new GenerationStore(layout).active();
  const watch = watchCertificate(validityOf(active), now, config.renewal.thresholdDays);
  const rs = await readRotationState(layout);
  const skew = detectClockSkew(now, { certificateNotBefore: validityOf(active)?.notBefore ?? null, newestBundleCreatedAt: rs.newestBundleCreatedAt ? new Date(rs.newestBundleCreatedAt) : null });
  const bootstrap = await readBootstrapCredential(layout).catch(() => null);
  const r = state.renewal;
  return {
    host: config.host, stateDir: layout.root, at: now.toISOString(),
    certificate: {
      state: watch.state, daysLeft: watch.daysLeft, notBefore: watch.notBefore?.toISOString() ?? null, notAfter: watch.notAfter?.toISOString() ?? null,
      serial: active?.serial ?? null, fingerprintSha256: active?.fingerprintSha256 ?? null, certPath: active?.certPath ?? null,
    },
    bootstrap: { present: !!bootstrap, notAfter: bootstrap?.notAfter.toISOString() ?? null, valid: !!bootstrap && now >= bootstrap.notBefore && now < bootstrap.notAfter },
    renewal: {
      status: r.status, due: watch.renewalDue, thresholdDays: config.renewal.thresholdDays, failures: r.failures, nextAttemptAt: r.nextAttemptAt,
      pendingRequestId: r.pendingRequestId, requestedAt: r.requestedAt, sent: r.sent, lastError: r.lastError,
    },
    counters: state.counters,
    lastSuccessAt: state.lastSuccessAt,
    lastTickAt: state.lastTickAt,
    clockSkew: skew ? { reason: skew.reason, expectedAtLeast: skew.expectedAtLeast.toISOString(), behindSeconds: skew.behindSeconds } : null,
    investigation: state.investigation && Date.parse(state.investigation.until) > now.getTime() ? state.investigation : null,
  };
}

export function formatStatus(s: AgentStatus): string {
  const c = s.certificate;
  const lines = [
    `host            ${s.host}`,
    `state folder    ${s.stateDir}`,
    `certificate     ${c.state}${c.notAfter ? ` (not after ${c.notAfter}, ${c.daysLeft} days left)` : ''}${c.serial ? `, serial ${c.serial}` : ''}`,
    `bootstrap       ${s.bootstrap.present ? `${s.bootstrap.valid ? 'valid' : 'not valid'} until ${s.bootstrap.notAfter}` : 'none'}`,
    `renewal         ${s.renewal.status}${s.renewal.due ? ' (due)' : ''}${s.renewal.pendingRequestId ? `, request ${s.renewal.pendingRequestId}${s.renewal.sent ? ' sent' : ' not yet sent'}` : ''}`,
  ];
  if (s.renewal.nextAttemptAt) lines.push(`next attempt    ${s.renewal.nextAttemptAt} (${s.renewal.failures} consecutive failures)`);
  if (s.renewal.lastError) lines.push(`last error      ${s.renewal.lastError.code}: ${s.renewal.lastError.message}`);
  lines.push(`counters        ${s.counters.attempts} attempts, ${s.counters.successes} successes, ${s.counters.failures} failures; last success ${s.lastSuccessAt ?? 'never'}`);
  if (s.clockSkew) lines.push(`CLOCK SKEW      the clock is ${s.clockSkew.behindSeconds} s behind ${s.clockSkew.expectedAtLeast} (${s.clockSkew.reason}); the agent does nothing until it is fixed`);
  if (s.investigation) lines.push(`investigation   until ${s.investigation.until}, collecting every ${s.investigation.collectIntervalSeconds} s: ${s.investigation.reason}`);
  return `${lines.join('\n')}\n`;
}
