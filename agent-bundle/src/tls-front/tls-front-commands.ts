import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { ColdrootError } from '../../../core/errors.js';
import { defaultCanaryPlan, parseCanaryPlan } from '../../../core/policy/canary/canary-plan.js';
import type { CanaryDecision } from '../../../core/policy/canary/canary-controller.js';
import { CanaryRuntime, leafFingerprint, type RuntimeEvent } from './canary-runtime.js';
import { haproxySnippet, nginxSnippet } from './proxy-snippets.js';
import { parseHostPort, serveTls } from './tls-front.js';

/**
 * The agent's `serve-tls` and `canary-snippet` commands. The agent CLI (issue 5) mounts them with
 * program.addCommand(...tlsFrontCommands()); main.ts runs them on their own meanwhile. Output is
 * one JSON object per line (the agent's structured log).
 */

function readInput(path: string, what: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new ColdrootError('FILE_UNREADABLE', `Cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, `Check the path given for ${what}`);
  }
}

function decisionLine(d: CanaryDecision): Record<string, unknown> {
  return {
    event: 'canary-decision', at: new Date(d.at).toISOString(), action: d.action, from: d.from, to: d.to, state: d.state,
    metric: d.reason.metric, reason: d.reason.message,
    old: { handshakes: d.observed.old.attempted, successRate: d.observed.old.successRate },
    new: { handshakes: d.observed.new.attempted, successRate: d.observed.new.successRate },
  };
}

export function logLine(e: RuntimeEvent | Record<string, unknown>): string {
  const value = 'event' in e && e.event === 'canary-decision' && 'decision' in e ? decisionLine(e.decision as CanaryDecision) : e;
  return JSON.stringify(value, (k, v) => (k === 'at' && typeof v === 'number' ? new Date(v).toISOString() : v));
}

function writeStatus(path: string, runtime: CanaryRuntime): void {
  // Temp file then rename: a reader (coldroot-agent status) never sees half a file.
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(runtime.status(), null, 2)}\n`);
  renameSync(tmp, path);
}

export function serveTlsCommand(): Command {
  return new Command('serve-tls')
    .description('TLS-terminating front that rolls a new certificate out to a growing share of clients')
    .requiredOption('--listen <ADDR>', 'where clients connect (HOST:PORT)')
    .requiredOption('--upstream <ADDR>', 'the plaintext TCP service (HOST:PORT)')
    .requiredOption('--old-cert <FILE>', 'current certificate chain, PEM, leaf first')
    .requiredOption('--old-key <FILE>', 'its private key, PEM')
    .requiredOption('--new-cert <FILE>', 'new certificate chain, PEM, leaf first')
    .requiredOption('--new-key <FILE>', 'its private key, PEM')
    .option('--plan <FILE>', 'rollout plan (coldroot.canary.v1 JSON); default: every default, id from the new certificate')
    .addOption(new Option('--success-on <WHEN>', 'when a handshake counts as accepted').choices(['client-data', 'handshake']).default('client-data'))
    .option('--status-file <FILE>', 'rewrite this JSON status after every decision')
    .action(async (o: { listen: string; upstream: string; oldCert: string; oldKey: string; newCert: string; newKey: string; plan?: string; successOn: 'client-data' | 'handshake'; statusFile?: string }) => {
      const listen = parseHostPort(o.listen, '--listen');
      const upstream = parseHostPort(o.upstream, '--upstream');
      const old = { cert: readInput(o.oldCert, '--old-cert'), key: readInput(o.oldKey, '--old-key') };
      const next = { cert: readInput(o.newCert, '--new-cert'), key: readInput(o.newKey, '--new-key') };
      let plan;
      if (o.plan) {
        plan = parseCanaryPlan(readInput(o.plan, '--plan'), o.plan);
      } else {
        let id = 'canary';
        try {
          id = `canary-${leafFingerprint(next.cert).slice(0, 16)}`;
        } catch {
          // The runtime reports an unreadable new certificate and serves the old one.
        }
        plan = defaultCanaryPlan(id);
      }
      let runtime: CanaryRuntime | null = null;
      const onEvent = (e: RuntimeEvent) => {
        process.stdout.write(`${logLine(e)}\n`);
        if (o.statusFile && runtime) writeStatus(o.statusFile, runtime);
      };
      runtime = new CanaryRuntime({ plan, old, next, onEvent });
      const front = await serveTls({ listen, upstream, runtime, successOn: o.successOn });
      process.stdout.write(`${logLine({ event: 'tls-front-listening', at: Date.now(), listen: front.address, upstream, planId: plan.id, exposurePercent: runtime.exposure })}\n`);
      if (o.statusFile) writeStatus(o.statusFile, runtime);
      await new Promise<void>((resolve) => {
        const stop = () => {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
          void front.close().then(resolve);
        };
        process.on('SIGINT', stop);
        process.on('SIGTERM', stop);
      });
      process.stdout.write(`${logLine({ event: 'tls-front-stopped', at: Date.now(), ...front.stats, status: runtime.status().state, exposurePercent: runtime.exposure })}\n`);
    });
}

export function canarySnippetCommand(): Command {
  return new Command('canary-snippet')
    .description('print the current exposure as nginx or HAProxy configuration')
    .addOption(new Option('--format <PROXY>', 'proxy').choices(['nginx', 'haproxy']).makeOptionMandatory())
    .requiredOption('--rollout-id <ID>', 'the plan id (salts the client split)')
    .requiredOption('--exposure <PERCENT>', 'percent of clients on the new certificate')
    .requiredOption('--cert-dir <DIR>', 'folder with old/new certificate files (nginx: old.crt old.key new.crt new.key; HAProxy: old.pem new.pem)')
    .option('--bind <ADDR>', 'HAProxy: where clients connect', ':443')
    .option('--backend <NAME>', 'HAProxy: backend that receives the plaintext', 'app')
    .option('--log <FILE>', 'nginx: canary access log', '/var/log/nginx/coldroot-canary.log')
    .action((o: { format: 'nginx' | 'haproxy'; rolloutId: string; exposure: string; certDir: string; bind: string; backend: string; log: string }) => {
      const exposure = Number(o.exposure);
      if (!(exposure >= 0 && exposure <= 100)) throw new ColdrootError('BAD_EXPOSURE', `--exposure '${o.exposure}' is not a percentage`, 'Give a number from 0 to 100, e.g. 5 or 12.5');
      const input = { rolloutId: o.rolloutId, exposurePercent: exposure, certificateDir: o.certDir, bind: o.bind, backend: o.backend, logPath: o.log };
      if (o.format === 'haproxy') {
        process.stdout.write(haproxySnippet(input));
      } else {
        const s = nginxSnippet(input);
        process.stdout.write(`# --- http { } block ---\n${s.http}\n# --- TLS server { } block ---\n${s.server}`);
      }
    });
}

export function tlsFrontCommands(): Command[] {
  return [serveTlsCommand(), canarySnippetCommand()];
}
