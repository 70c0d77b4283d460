import { readFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { z } from 'zod';
import { ColdrootError } from '../../../../core/errors.js';
import { CollectConfigSchema } from '../collect/collect-config.js';
import type { ServiceActivation } from '../rotation/service-activation.js';

/**
 * The agent's configuration file (installed from its package as <stateDir>/config.json or
 * /etc/coldroot-agent/config.json). Parsed strictly: an unknown key is an error naming its path,
 * because a typo such as `thresholdDay` would otherwise silently fall back to a default.
 */

export const DEFAULT_CONFIG_PATH = '/etc/coldroot-agent/config.json';
export const DEFAULT_STATE_DIR = '/var/lib/coldroot-agent';

const HOST = /^[A-Za-z0-9][A-Za-z0-9.-]{0,252}$/;

const ReloadSchema = z.union([
  z.strictObject({ command: z.array(z.string().min(1)).min(1).max(64) }),
  z.strictObject({ signal: z.enum(['SIGHUP', 'SIGUSR1', 'SIGUSR2']), pidFile: z.string().min(1) }),
]);

/** rotation/service-activation.ts's ServiceActivation, as configured (the type check below keeps the two in step). */
export const ServiceActivationSchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, . _ - only'),
  certPath: z.string().min(1),
  keyPath: z.string().min(1),
  reload: ReloadSchema,
  healthCheck: z.strictObject({
    host: z.string().min(1),
    port: z.number().int().min(1).max(65_535),
    servername: z.string().min(1).max(253).optional(),
    timeoutMs: z.number().int().min(100).max(60_000).optional(),
  }).optional(),
});

const LoopbackListen = z.string().refine((v) => {
  const m = /^(.+):(\d{1,5})$/.exec(v);
  if (!m || Number(m[2]) > 65_535) return false;
  const host = m[1].replace(/^\[|\]$/g, '');
  return host === '127.0.0.1' || host === '::1' || host === 'localhost' || (isIP(host) === 4 && host.startsWith('127.'));
}, 'a loopback address and port such as 127.0.0.1:9464 (the endpoint has no authentication, so it never listens beyond this machine)');

export const AgentConfigSchema = z.strictObject({
  /** The host name this agent requests certificates for (the CSR's CN). */
  host: z.string().regex(HOST, 'a DNS host name such as web-01.fleet.example'),
  stateDir: z.string().min(1).default(DEFAULT_STATE_DIR),
  profile: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/).default('device-management'),
  renewal: z.strictObject({
    thresholdDays: z.number().int().min(1).max(3650).default(30),
    checkIntervalSeconds: z.number().int().min(10).max(86_400).default(3600),
    /** How long a sent request waits for its answer before the agent sends a new one (file transport: days). */
    responseTimeoutSeconds: z.number().int().min(60).max(90 * 86_400).default(7 * 86_400),
  }).default({ thresholdDays: 30, checkIntervalSeconds: 3600, responseTimeoutSeconds: 7 * 86_400 }),
  retry: z.strictObject({
    initialDelaySeconds: z.number().int().min(1).max(86_400).default(60),
    maxDelaySeconds: z.number().int().min(1).max(7 * 86_400).default(21_600),
    maxAttempts: z.number().int().min(1).max(1000).default(10),
    jitter: z.number().min(0).max(1).default(0.2),
  }).refine((r) => r.maxDelaySeconds >= r.initialDelaySeconds, { message: 'maxDelaySeconds must be at least initialDelaySeconds', path: ['maxDelaySeconds'] })
    .default({ initialDelaySeconds: 60, maxDelaySeconds: 21_600, maxAttempts: 10, jitter: 0.2 }),
  transport: z.strictObject({
    kind: z.literal('file').default('file'),
    /** Default: <stateDir>/outbox and <stateDir>/inbox. */
    outbox: z.string().min(1).optional(),
    inbox: z.string().min(1).optional(),
  }).default({ kind: 'file' }),
  services: z.array(ServiceActivationSchema).max(64).default([]).superRefine((list, ctx) => {
    const seen = new Set<string>();
    for (const [i, s] of list.entries()) {
      if (seen.has(s.name)) ctx.addIssue({ code: 'custom', message: `service name '${s.name}' is used twice`, path: [i, 'name'] });
      seen.add(s.name);
    }
  }),
  collect: CollectConfigSchema.default(CollectConfigSchema.parse({})),
  prometheus: z.strictObject({
    textfile: z.boolean().default(true),
    listen: LoopbackListen.optional(),
  }).default({ textfile: true }),
  /**
   * The canary TLS front (docs/canary-rollout.md): with it, a renewal bundle's canary plan is run
   * by the front at `listen`, terminating TLS for `upstream`; without it, the plan is applied at once.
   */
  canary: z.strictObject({
    listen: z.string().regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'ADDR:PORT such as 0.0.0.0:443'),
    upstream: z.string().regex(/^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):\d{1,5}$/, 'HOST:PORT of the plaintext service, such as 127.0.0.1:8080'),
    successOn: z.enum(['client-data', 'handshake']).default('client-data'),
  }).optional(),
  tpm: z.strictObject({
    enabled: z.boolean().default(false),
    /** tpm2-tools TCTI, e.g. device:/dev/tpmrm0 or swtpm:host=127.0.0.1,port=2321. */
    tcti: z.string().min(1).optional(),
  }).default({ enabled: false }),
});

export type AgentConfig = z.infer<typeof AgentConfigSchema>;
export type AgentConfigInput = z.input<typeof AgentConfigSchema>;

function issuePath(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i ? '.' : ''}${String(p)}`)).join('') || '(top level)';
}

/** Every problem of a parse, one line each, naming the key path and what to write instead. */
export function describeConfigIssues(error: z.ZodError): string[] {
  return error.issues.map((i) => {
    if (i.code === 'unrecognized_keys') {
      const where = i.path.length ? issuePath(i.path) : 'the top level';
      return `${i.keys.map((k) => (i.path.length ? `${issuePath(i.path)}.${k}` : k)).join(', ')}: unknown key${i.keys.length > 1 ? 's' : ''} in ${where}; remove ${i.keys.length > 1 ? 'them' : 'it'} or check the spelling (see docs/agent.md)`;
    }
    return `${issuePath(i.path)}: ${i.message}`;
  });
}

/** Parses a configuration value; `source` names it in errors. */
export function parseAgentConfig(value: unknown, source: string): AgentConfig {
  const r = AgentConfigSchema.safeParse(value);
  if (!r.success) {
    const lines = describeConfigIssues(r.error);
    throw new ColdrootError('AGENT_CONFIG_INVALID', `Configuration ${source} is invalid:\n  ${lines.join('\n  ')}`, `Fix ${source}, then check it with: coldroot-agent check-config --config ${source}`);
  }
  return r.data;
}

export async function loadAgentConfig(path: string): Promise<AgentConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ColdrootError('AGENT_CONFIG_UNREADABLE', `Cannot read configuration ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Pass --config FILE or set COLDROOT_AGENT_CONFIG; the package installs /etc/coldroot-agent/config.json');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new ColdrootError('AGENT_CONFIG_INVALID', `Configuration ${path} is not valid JSON: ${(e as Error).message}`, `Fix the JSON syntax of ${path}`);
  }
  return parseAgentConfig(value, path);
}

// Fails to compile when the schema and the rotation's ServiceActivation drift apart.
const _servicesMatch: (s: AgentConfig['services'][number]) => ServiceActivation = (s) => s;
void _servicesMatch;
