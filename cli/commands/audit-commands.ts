import { Command } from 'commander';
import { verifyAuditExport } from '../../core/audit/audit-export.js';
import type { AuditVerifyReport } from '../../core/audit/audit-types.js';
import { globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

function reportText(r: AuditVerifyReport): string {
  return r.ok ? `Audit trail intact: ${r.entries} entries, head #${r.head.seq} ${r.head.hash}` : `Audit trail BROKEN at entry ${r.firstBadSeq} (${r.problem}): ${r.message}`;
}

export function auditCommand(): Command {
  const audit = new Command('audit').description('verify and export the audit trail');
  audit.command('verify').description('check the hash chain and signatures; names the first entry edited, removed or reordered')
    .option('--file <EXPORT>', 'verify an exported trail instead of the home')
    .option('--key-fingerprint <SHA256>', 'the audit key fingerprint the export must be signed by (from coldroot init)')
    .action(async (o: { file?: string; keyFingerprint?: string }, cmd: Command) => {
      const r = o.file ? verifyAuditExport(o.file, { expectedKeyFingerprint: o.keyFingerprint?.toLowerCase().replace(/:/g, '') }) : await withConsole(cmd, (svc) => svc.auditVerify(), { readonly: true });
      const unpinned = o.file && !o.keyFingerprint ? '\nNote: checked against the key named inside the export; pass --key-fingerprint to pin the home\'s audit key.' : '';
      emit(globals(cmd), r, () => reportText(r) + unpinned);
      if (!r.ok) process.exitCode = 1; // the report above names the first bad entry
    });
  audit.command('export').description('write the trail with its signatures (JSON Lines)').requiredOption('--out <FILE>')
    .action(async (o: { out: string }, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => svc.auditExport(o.out), { readonly: true });
      emit(globals(cmd), r, () => `Exported ${r.entries} audit entries to ${r.path}`);
    });
  return audit;
}
