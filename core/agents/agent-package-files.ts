import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ColdrootError } from '../errors.js';
import { REPO_ROOT } from './agent-build.js';

/*
 * The text files of an agent package besides the agent itself: config.json (the agent's schema is
 * agent-bundle/src/agent/config/agent-config.ts, which core may not import; the package test
 * parses what we write with it), the systemd unit and install.sh (templates in agent-bundle/packaging).
 */

export const PACKAGING_DIR = join(REPO_ROOT, 'agent-bundle', 'packaging');
export const AGENT_STATE_DIR = '/var/lib/coldroot-agent';

/** What the operator sets for every package of a call; each key is the agent config key of the same name. */
export interface AgentPackageConfig {
  profile?: string;
  renewal?: { thresholdDays?: number; checkIntervalSeconds?: number; responseTimeoutSeconds?: number };
  retry?: { initialDelaySeconds?: number; maxDelaySeconds?: number; maxAttempts?: number; jitter?: number };
  transport?: { kind?: 'file'; outbox?: string; inbox?: string };
  services?: Array<{ name: string; certPath: string; keyPath: string; reload: { command: string[] } | { signal: string; pidFile: string }; healthCheck?: { host: string; port: number; servername?: string; timeoutMs?: number } }>;
  collect?: Record<string, unknown>;
  prometheus?: { textfile?: boolean; listen?: string };
  tpm?: { enabled?: boolean; tcti?: string };
}

const CONFIG_KEYS = ['profile', 'renewal', 'retry', 'transport', 'services', 'collect', 'prometheus', 'tpm'] as const;

/** config.json for one host: the operator's settings, the host, and the state folder the package installs into. */
export function agentConfigJson(host: string, config: AgentPackageConfig = {}): Uint8Array {
  const unknown = Object.keys(config).filter((k) => !(CONFIG_KEYS as readonly string[]).includes(k));
  if (unknown.length) {
    throw new ColdrootError('AGENT_CONFIG_INVALID', `Agent configuration: unknown key${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}`, `Use only ${CONFIG_KEYS.join(', ')} (see docs/agent-package.md)`);
  }
  const value = { host, stateDir: AGENT_STATE_DIR, ...Object.fromEntries(CONFIG_KEYS.filter((k) => config[k] !== undefined).map((k) => [k, config[k]])) };
  return new TextEncoder().encode(`${JSON.stringify(value, null, 2)}\n`);
}

function template(name: string): string {
  try {
    return readFileSync(join(PACKAGING_DIR, name), 'utf8');
  } catch (e) {
    throw new ColdrootError('AGENT_TEMPLATE_MISSING', `Cannot read the packaging template ${join(PACKAGING_DIR, name)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Run coldroot from a complete source tree or install (agent-bundle/packaging/)', 'failure');
  }
}

export function installScript(): Uint8Array {
  return new TextEncoder().encode(template('install.sh'));
}

const UNSAFE_PATH = /[\s"'\\$`%;]/;

/**
 * The systemd unit, with the folders the agent writes outside its state folder made writable
 * (ProtectSystem=strict makes everything else read-only): the file transport's folders and the
 * folders of the service certificates it replaces. The '-' prefix lets the agent start while a
 * removable transport medium is not mounted.
 */
export function systemdUnit(config: AgentPackageConfig = {}): Uint8Array {
  const extra = new Set<string>();
  if (config.transport?.outbox) extra.add(config.transport.outbox);
  if (config.transport?.inbox) extra.add(config.transport.inbox);
  for (const s of config.services ?? []) {
    extra.add(dirname(s.certPath));
    extra.add(dirname(s.keyPath));
  }
  const paths = [...extra].filter((p) => p !== AGENT_STATE_DIR && !p.startsWith(`${AGENT_STATE_DIR}/`)).sort();
  for (const p of paths) {
    if (!p.startsWith('/') || UNSAFE_PATH.test(p)) throw new ColdrootError('AGENT_CONFIG_INVALID', `Agent configuration: the path '${p}' must be absolute and free of spaces, quotes and shell characters`, 'Give absolute paths such as /media/usb/coldroot/outbox');
  }
  const text = template('coldroot-agent.service').replace('#@READ_WRITE_PATHS@\n', paths.map((p) => `ReadWritePaths=-${p}\n`).join(''));
  return new TextEncoder().encode(text);
}
