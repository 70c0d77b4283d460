import { existsSync, readFileSync } from 'node:fs';
import { Command } from 'commander';
import { writeNewFile } from '../../core/api/console-service.js';
import { ColdrootError } from '../../core/errors.js';
import { issueEmergencyCertificate } from '../../core/policy/emergency-certificate.js';
import { decideAction, listActions, renewalPlan, type ActionStatus, type QueuedAction } from '../../core/policy/action-queue.js';
import { resolvePolicy } from '../../core/policy/policy-file.js';
import { caKeySecret, globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

function actionText(a: QueuedAction): string {
  return `${String(a.id).padStart(5)}  ${a.status.padEnd(8)} ${a.action.padEnd(21)} ${a.host}${a.certSha256 ? ` ${a.certSha256.slice(0, 16)}…` : ''}  model v${a.modelVersion}  ${a.reason}` +
    (a.decidedBy ? `  [${a.decidedBy} ${a.decidedAt}${a.decisionNote ? `: ${a.decisionNote}` : ''}]` : '');
}

const id = (v: string) => (/^\d+$/.test(v) ? Number(v) : Number.NaN);

export function queueCommand(): Command {
  const queue = new Command('queue').description('actions proposed by the risk policy: list, approve, reject, and what the next renewal bundle carries');
  queue.command('list').description('queued actions (default: pending)')
    .option('--status <STATUS>', 'pending, approved, rejected, exported, closed or all', 'pending')
    .action(async (o: { status: ActionStatus | 'all' }, cmd: Command) => {
      const rows = await withConsole(cmd, (svc) => listActions(svc.ctx, { status: o.status }), { readonly: true });
      emit(globals(cmd), rows, () => (rows.length ? rows.map(actionText).join('\n') : `No ${o.status === 'all' ? '' : `${o.status} `}actions`));
    });
  for (const decision of ['approve', 'reject'] as const) {
    queue.command(decision).description(`${decision} a pending action (audited with its evidence and model version)`)
      .argument('<ID>', 'action id from coldroot queue list')
      .option('--note <TEXT>', decision === 'reject' ? 'why (required)' : 'a note kept with the decision')
      .action(async (v: string, o: { note?: string }, cmd: Command) => {
        const a = await withConsole(cmd, (svc) => decideAction(svc.ctx, id(v), decision, o.note));
        emit(globals(cmd), a, () => actionText(a));
      });
  }
  queue.command('plan').description('hosts and agent instructions the approved actions put into the next renewal bundle')
    .option('--policy <FILE>', 'risk policy JSON (default: <home>/risk-policy.json, else built-in defaults)')
    .action(async (o: { policy?: string }, cmd: Command) => {
      const plan = await withConsole(cmd, (svc) => renewalPlan(svc.ctx, resolvePolicy(svc.ctx.store.home, o.policy).policy), { readonly: true });
      emit(globals(cmd), plan, () => [`renew: ${plan.hosts.join(', ') || '(none)'}`, ...plan.instructions.map((i) => `investigate ${i.host} until ${i.investigation!.until} every ${i.investigation!.collectIntervalSeconds} s`),
        ...plan.emergency.map((e) => `emergency certificate for ${e.host} from CA ${e.caId}`)].join('\n'));
    });
  queue.command('emergency').description('carry out an approved emergency-certificate action: a short-lived certificate (emergency profile) from the policy\'s issuer')
    .argument('<ID>', 'action id from coldroot queue list --status approved')
    .requiredOption('--out <FILE>', 'certificate file to write (PEM, never overwritten)')
    .option('--csr <FILE>', "the host's CSR (default: its newest pending renewal request)")
    .option('--validity <DURATION>', "e.g. '12h' (default: the emergency profile's 24h; at most 7d)")
    .option('--policy <FILE>', 'risk policy JSON (default: <home>/risk-policy.json, else built-in defaults)')
    .option('--passphrase-env <VAR>', "environment variable holding the issuer key's passphrase")
    .option('--pin-env <VAR>', "environment variable holding the issuer token's PIN")
    .action(async (v: string, o: { out: string; csr?: string; validity?: string; policy?: string; passphraseEnv?: string; pinEnv?: string }, cmd: Command) => {
      if (existsSync(o.out)) throw new ColdrootError('OUTPUT_EXISTS', `Output file ${o.out} already exists`, 'Choose a new file name; Coldroot never overwrites its outputs');
      const csr = o.csr ? readFileSync(o.csr) : undefined;
      const r = await withConsole(cmd, async (svc) => {
        const policy = resolvePolicy(svc.ctx.store.home, o.policy).policy;
        const issuer = policy.emergencyCertificate.issuer;
        const caSecret = issuer ? await caKeySecret(svc, issuer.caId, o) : { passphrase: '' };
        return issueEmergencyCertificate(svc.ctx, { actionId: id(v), caSecret, policy, csr, validity: o.validity });
      });
      writeNewFile(o.out, r.certificatePem);
      emit(globals(cmd), { ...r, path: o.out }, () => `Emergency certificate for ${r.host} (serial ${r.serial} of ${r.caId}, CSR from ${r.csrSource}) valid until ${r.notAfter}, written to ${o.out}`);
    });
  return queue;
}
