import { Command } from 'commander';
import { ColdrootError } from '../../core/errors.js';
import { certificateStatus, csvField, STATUS_COLUMNS } from '../../core/models/risk-queries.js';
import { resolvePolicy } from '../../core/policy/policy-file.js';
import { globals, withConsole } from '../console-session.js';
import { wholeNumber } from './risk-commands.js';

/** Status export for external systems: one row per leaf certificate, streamed as JSON Lines-in-an-array or CSV. */
export function statusCommand(): Command {
  return new Command('status').description('certificate status, risk scores and renewal schedule for external systems (--json or --csv)')
    .option('--csv', 'CSV with a header line')
    .option('--renew-before-days <N>', 'renew this many days before expiry', wholeNumber('--renew-before-days'), 30)
    .option('--lead-days <N>', "renew this many days before predicted degradation (default: the risk policy's predictiveRenewal.leadDays)", wholeNumber('--lead-days'))
    .option('--policy <FILE>', 'risk policy JSON (default: <home>/risk-policy.json, else built-in defaults)')
    .action(async (o: { csv?: boolean; renewBeforeDays: number; leadDays?: number; policy?: string }, cmd: Command) => {
      const json = globals(cmd).json === true;
      if (json && o.csv) throw new ColdrootError('STATUS_FORMAT_CONFLICT', '--json and --csv were both given', 'Choose one output format');
      if (!json && !o.csv) throw new ColdrootError('STATUS_FORMAT_REQUIRED', 'coldroot status writes --json or --csv', 'Add --json or --csv');
      await withConsole(cmd, (svc) => {
        // The schedule follows the policy that proposes predictive renewals, unless told otherwise.
        const leadDays = o.leadDays ?? resolvePolicy(svc.ctx.store.home, o.policy).policy.predictiveRenewal.leadDays;
        const out = process.stdout;
        if (o.csv) out.write(`${STATUS_COLUMNS.join(',')}\n`);
        else out.write('[');
        let first = true;
        for (const row of certificateStatus(svc.ctx, { renewBeforeDays: o.renewBeforeDays, leadDays })) {
          if (o.csv) out.write(`${STATUS_COLUMNS.map((c) => csvField(row[c])).join(',')}\n`);
          else out.write(`${first ? '\n' : ',\n'}${JSON.stringify(row)}`);
          first = false;
        }
        if (!o.csv) out.write(first ? ']\n' : '\n]\n');
      }, { readonly: true });
    });
}
