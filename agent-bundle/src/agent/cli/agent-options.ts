import { ColdrootError } from '../../../../core/errors.js';
import { DEFAULT_CONFIG_PATH, loadAgentConfig, type AgentConfig } from '../config/agent-config.js';
import { AgentLoop } from '../lifecycle/agent-loop.js';
import { createAgentLogger } from '../observability/agent-logger.js';
import { StateLayout } from '../state/state-layout.js';

/** --config and the hidden --now, taken by every command. */
export interface GlobalOptions {
  config?: string;
  now?: string;
}

export function configPath(o: GlobalOptions): string {
  return o.config ?? process.env.COLDROOT_AGENT_CONFIG ?? DEFAULT_CONFIG_PATH;
}

/** The clock of a command: --now (tests and incident replays) or the system time. */
export function clockOf(o: GlobalOptions): Date {
  if (o.now === undefined) return new Date();
  const t = new Date(o.now);
  if (!/^\d{4}-\d{2}-\d{2}T/.test(o.now) || Number.isNaN(t.getTime())) throw new ColdrootError('AGENT_BAD_TIME', `--now ${o.now} is not an ISO 8601 time`, 'Give a UTC time such as 2026-03-02T00:00:00Z');
  return t;
}

export async function openAgent(o: GlobalOptions): Promise<{ config: AgentConfig; loop: AgentLoop; layout: StateLayout }> {
  const config = await loadAgentConfig(configPath(o));
  const layout = new StateLayout(config.stateDir);
  // With --now the log lines carry the pretended time, so a replay's log reads as it would have.
  const now = o.now === undefined ? undefined : clockOf(o);
  return { config, layout, loop: new AgentLoop({ config, layout, log: createAgentLogger(layout, now ? { now: () => now } : {}) }) };
}
