import { readFileSync } from 'node:fs';
import { Command } from 'commander';
import { readDevicesFile, checkDevices, type AgentDevice } from '../../core/agents/agent-devices.js';
import type { AgentPackageConfig } from '../../core/agents/agent-package-files.js';
import { generateAgentPackages, type GenerateAgentPackagesResult } from '../../core/agents/agent-package.js';
import { renewalCounters, type RenewalCounters } from '../../core/agents/renewal-counters.js';
import type { ConsoleService } from '../../core/api/console-service.js';
import { ColdrootError } from '../../core/errors.js';
import type { KeySecret } from '../../core/keys/key-spec.js';
import { caKeySecret, globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';
import { readSecret } from '../secrets.js';

interface PackageOpts {
  ca: string; out: string; host?: string[]; devices?: string; configFile?: string; thresholdDays?: number; retryInitial?: number; retryMax?: number; retryAttempts?: number;
  outbox?: string; inbox?: string; bootstrapValidity?: string; sea: boolean; passphraseEnv?: string; pinEnv?: string; signerPassphraseEnv?: string; signerPinEnv?: string;
}

const whole = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 1) throw new ColdrootError('BAD_OPTION', `${flag} '${v}' is not a positive whole number`, `Give ${flag} as a number, e.g. ${flag} 30`);
  return n;
};

async function signerSecret(svc: ConsoleService, o: PackageOpts): Promise<KeySecret> {
  const s = svc.bundleSigner();
  if (!s) throw new ColdrootError('BUNDLE_SIGNER_MISSING', 'This console has no bundle-signing identity yet', 'Create one with: coldroot bundle signer create --ca CA_ID --software --passphrase-env VAR');
  if (s.keyUri.startsWith('software:')) return { passphrase: await readSecret(o.signerPassphraseEnv ?? o.passphraseEnv, 'bundle-signing key passphrase', '--signer-passphrase-env') };
  return { pin: await readSecret(o.signerPinEnv ?? o.pinEnv, 'bundle-signing token PIN', '--signer-pin-env') };
}

/** The config file (agent config keys other than host/stateDir), then the flags on top. */
function packageConfig(o: PackageOpts): AgentPackageConfig {
  let config: AgentPackageConfig = {};
  if (o.configFile) {
    try {
      config = JSON.parse(readFileSync(o.configFile, 'utf8')) as AgentPackageConfig;
    } catch (e) {
      throw new ColdrootError('AGENT_CONFIG_INVALID', `Cannot read agent configuration ${o.configFile}: ${(e as Error).message}`, 'Give a JSON object with the agent config keys (see docs/agent-package.md)');
    }
    if (!config || typeof config !== 'object' || Array.isArray(config)) throw new ColdrootError('AGENT_CONFIG_INVALID', `${o.configFile} is not a JSON object`, 'See docs/agent-package.md');
  }
  if (o.thresholdDays !== undefined) config.renewal = { ...config.renewal, thresholdDays: o.thresholdDays };
  if (o.retryInitial !== undefined || o.retryMax !== undefined || o.retryAttempts !== undefined) {
    config.retry = { ...config.retry, ...(o.retryInitial !== undefined ? { initialDelaySeconds: o.retryInitial } : {}), ...(o.retryMax !== undefined ? { maxDelaySeconds: o.retryMax } : {}), ...(o.retryAttempts !== undefined ? { maxAttempts: o.retryAttempts } : {}) };
  }
  if (o.outbox || o.inbox) config.transport = { kind: 'file', ...config.transport, ...(o.outbox ? { outbox: o.outbox } : {}), ...(o.inbox ? { inbox: o.inbox } : {}) };
  return config;
}

function devicesFrom(o: PackageOpts): AgentDevice[] {
  if (o.devices && o.host?.length) throw new ColdrootError('AGENT_DEVICES_CONFLICT', '--host and --devices were both given', 'Give the hosts one way: --host NAME (repeatable) or --devices FILE');
  if (o.devices) return readDevicesFile(o.devices);
  return checkDevices((o.host ?? []).map((host) => ({ host })), '--host');
}

function packageText(r: GenerateAgentPackagesResult): string {
  const sea = r.agent.sea.status === 'built' ? `single executable included (${r.agent.sea.size} bytes)` : `SEA skipped: ${r.agent.sea.reason}`;
  return [
    `${r.packages.length} agent package${r.packages.length > 1 ? 's' : ''} written (signed by ${r.signer.subject}); they hold private keys: carry them like secrets`,
    ...r.packages.map((p) => `  ${p.host}  ${p.path}  bootstrap serial ${p.bootstrap.serial}, valid until ${p.bootstrap.notAfter}`),
    `agent: ${r.agent.size} bytes, sha256 ${r.agent.sha256}, built in ${r.agent.buildMs} ms; ${sea}`,
    'Trust anchor fingerprints (give them to the host administrator out of band, for install.sh --root-sha256):',
    ...r.anchors.map((a) => `  ${a.sha256}  ${a.subject} (CA ${a.caId})`),
    `On the host: tar -xf PACKAGE install.sh && sudo sh install.sh PACKAGE ${r.anchors.map((a) => `--root-sha256 ${a.sha256}`).join(' ')}`,
  ].join('\n');
}

function countersText(c: RenewalCounters): string {
  return [
    `renewal requests received   ${c.received}`,
    `  validated                 ${c.validated}  (from ${c.bundles.imported} imported bundles)`,
    `  issued                    ${c.issued}`,
    `  pending                   ${c.pending}`,
    `  rejected                  ${c.rejected}  (${c.rejectedAnswered} answered as rejected, ${c.rejectedInQuarantine} in ${c.bundles.quarantined} quarantined bundles)`,
    ...Object.entries(c.rejectionCodes).map(([code, n]) => `    ${code}  ${n}`),
    `last received               ${c.lastReceivedAt ?? 'never'}`,
  ].join('\n');
}

export function agentCommand(): Command {
  const agent = new Command('agent').description('the host/device agent: installer packages and renewal counters');

  agent.command('package').description('write signed agent packages (agent, config, trust anchors, bootstrap credential, systemd unit, install.sh)')
    .requiredOption('--ca <CA_ID>', 'CA that issues the bootstrap certificates (profile device-bootstrap)')
    .requiredOption('--out <PATH>', 'package file for one host, or a folder for several (never overwritten)')
    .option('--host <NAME>', 'host to package for (repeatable)', (v: string, prev: string[] = []) => [...prev, v])
    .option('--devices <FILE>', 'hosts from a file: CSV with a host column (dns, uri optional) or JSON [{"host": …}]')
    .option('--config-file <FILE>', 'agent settings as JSON: renewal, retry, transport, services, collect, prometheus, tpm, profile')
    .option('--threshold-days <N>', 'renew when the certificate expires within N days (default 30)', whole('--threshold-days'))
    .option('--retry-initial <SECONDS>', 'first retry delay', whole('--retry-initial'))
    .option('--retry-max <SECONDS>', 'longest retry delay', whole('--retry-max'))
    .option('--retry-attempts <N>', 'attempts before giving up until the next check', whole('--retry-attempts'))
    .option('--outbox <DIR>', 'file transport: where the agent writes its bundles (default <state>/outbox)')
    .option('--inbox <DIR>', 'file transport: where it finds renewal bundles (default <state>/inbox)')
    .option('--bootstrap-validity <DURATION>', "bootstrap certificate validity, e.g. '1095d' (the profile's default)")
    .option('--no-sea', 'do not try to build a Node single executable')
    .option('--passphrase-env <VAR>', "environment variable holding the CA key's passphrase")
    .option('--pin-env <VAR>', "environment variable holding the CA token's PIN")
    .option('--signer-passphrase-env <VAR>', "environment variable holding the bundle-signing key's passphrase (default: --passphrase-env)")
    .option('--signer-pin-env <VAR>', "environment variable holding the bundle-signing token's PIN (default: --pin-env)")
    .action(async (o: PackageOpts, cmd: Command) => {
      const devices = devicesFrom(o);
      const config = packageConfig(o);
      const r = await withConsole(cmd, async (svc) => generateAgentPackages(svc.ctx, {
        caId: o.ca, caSecret: await caKeySecret(svc, o.ca, o), signerSecret: await signerSecret(svc, o), devices, out: o.out, config, bootstrapValidity: o.bootstrapValidity, sea: o.sea,
      }));
      emit(globals(cmd), r, () => packageText(r));
    });

  agent.command('counters').description('renewal requests received, validated, issued and rejected')
    .action(async (_o: unknown, cmd: Command) => {
      const c = await withConsole(cmd, (svc) => renewalCounters(svc.ctx), { readonly: true });
      emit(globals(cmd), c, () => countersText(c));
    });
  return agent;
}
