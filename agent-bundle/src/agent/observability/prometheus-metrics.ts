import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic, type DurableFs } from '../state/atomic-file.js';
import type { StateLayout } from '../state/state-layout.js';

/** What the metrics show, taken from the lifecycle after each tick. */
export interface MetricsSnapshot {
  host: string;
  certificateNotAfter: Date | null;
  certificateState: string;
  attempts: number;
  successes: number;
  failures: number;
  lastSuccessAt: Date | null;
  clockSkew: boolean;
  renewalStatus: string;
  consecutiveFailures: number;
  investigation: boolean;
}

const label = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const seconds = (d: Date | null) => (d ? Math.floor(d.getTime() / 1000) : 0);

/** The Prometheus text exposition (0.0.4) of the agent's metrics. */
export function renderMetrics(s: MetricsSnapshot): string {
  const h = `host="${label(s.host)}"`;
  const lines: string[] = [];
  const metric = (name: string, type: string, help: string, value: number, extra = '') => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`, `${name}{${h}${extra}} ${value}`);
  };
  metric('coldroot_agent_certificate_expiry_timestamp_seconds', 'gauge', 'notAfter of the active management certificate (0: none)', seconds(s.certificateNotAfter));
  metric('coldroot_agent_certificate_valid', 'gauge', '1 when the active management certificate is valid now (possibly expiring)', s.certificateState === 'valid' || s.certificateState === 'expiring' ? 1 : 0, `,state="${label(s.certificateState)}"`);
  metric('coldroot_agent_renewal_attempts_total', 'counter', 'Renewal requests handed to the transport or attempted', s.attempts);
  metric('coldroot_agent_renewal_successes_total', 'counter', 'Renewed certificates installed', s.successes);
  metric('coldroot_agent_renewal_failures_total', 'counter', 'Failed renewal attempts (transport, rejected or rolled-back bundles, timeouts)', s.failures);
  metric('coldroot_agent_renewal_last_success_timestamp_seconds', 'gauge', 'When a renewed certificate was last installed (0: never)', seconds(s.lastSuccessAt));
  metric('coldroot_agent_renewal_consecutive_failures', 'gauge', 'Failures since the last success (drives the backoff)', s.consecutiveFailures, `,status="${label(s.renewalStatus)}"`);
  metric('coldroot_agent_clock_skew', 'gauge', '1 when the device clock is behind a certificate or bundle it has seen (the agent then does nothing)', s.clockSkew ? 1 : 0);
  metric('coldroot_agent_investigation_mode', 'gauge', '1 while the console asked for investigation mode', s.investigation ? 1 : 0);
  return `${lines.join('\n')}\n`;
}

/** Rewrites the node_exporter textfile atomically (the collector must never read half a file). */
export async function writePromFile(layout: StateLayout, text: string, fs?: DurableFs): Promise<void> {
  await mkdir(dirname(layout.promFile), { recursive: true });
  await writeFileAtomic(layout.promFile, text, { fs });
}
