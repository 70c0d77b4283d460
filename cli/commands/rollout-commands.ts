import { readFileSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { Command } from 'commander';
import { ColdrootError } from '../../core/errors.js';
import type { GroupSummary, HostRollout, RolloutReportView } from '../../core/policy/canary/rollout-report.js';
import { globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

/** A host list file: one host per line; blank lines and # comments ignored. */
export function readHostFile(path: string, option: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ColdrootError('ROLLOUT_HOST_FILE_UNREADABLE', `${option} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 'Give a text file with one host name per line');
  }
  const hosts = text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean);
  const bad = hosts.find((h) => !/^[A-Za-z0-9](?:[A-Za-z0-9._-]{0,252})$/.test(h));
  if (bad) throw new ColdrootError('ROLLOUT_HOST_FILE_INVALID', `${option} ${path}: '${bad}' is not a host name`, 'One DNS host name per line (letters, digits, . _ -)');
  if (!hosts.length) throw new ColdrootError('ROLLOUT_HOST_FILE_INVALID', `${option} ${path} names no host`, 'Give a text file with one host name per line');
  return hosts;
}

const pct = (x: number | null) => (x === null ? '—' : `${x.toFixed(2)}%`);
const ms = (x: number | null) => (x === null ? '—' : `${x.toFixed(1)} ms`);

function duration(s: number | null): string {
  if (s === null) return '—';
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

function rolloutText(r: HostRollout): string {
  const top = Object.entries(r.new.failedBy).sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ×${v}`).join(', ');
  return [
    `${r.host}  ${r.planId ?? '(no rollout.json)'}  ${r.state}${r.policy ? `  policy ${r.policy}` : ''}${r.reportedAt ? `  reported ${r.reportedAt}` : ''}`,
    `  old ${r.oldCertificate.slice(0, 16)}…  ${r.old.attempted} handshakes, ${pct(r.old.successPercent)} ok, p95 ${ms(r.old.p95Ms)}`,
    `  new ${r.newCertificate.slice(0, 16)}…  ${r.new.attempted} handshakes, ${pct(r.new.successPercent)} ok, p95 ${ms(r.new.p95Ms)}${top ? `; failed: ${top}` : ''}`,
    `  failures caused by new: ${r.failuresCausedByNew}   time to 100%: ${duration(r.timeToFullSeconds)}   time to rollback: ${duration(r.timeToRollbackSeconds)}`,
    ...(r.rollbackReason ? [`  rollback: ${r.rollbackReason}`] : []),
    ...(r.changes.length ? [`  exposure: ${r.changes.slice(-12).map((c) => `${c.at.slice(11, 19)} ${c.to}%`).join(' → ')}`] : []),
    ...r.timeline.slice(-8).map((p) => `  ${p.t}  new ${pct(p.exposurePercent)} of handshakes; ok old ${pct(p.oldSuccessPercent)} new ${pct(p.newSuccessPercent)}; p95 old ${ms(p.oldP95Ms)} new ${ms(p.newP95Ms)}`),
  ].join('\n');
}

function groupText(g: GroupSummary): string {
  return `${g.name.padEnd(12)} hosts ${g.hosts}, rollouts ${g.rollouts}: ${g.completed} at 100%, ${g.rolledBack} rolled back; median time to 100% ${duration(g.medianTimeToFullSeconds)}, to rollback ${duration(g.medianTimeToRollbackSeconds)}; failed handshakes caused ${g.failuresCausedByNew} of ${g.newHandshakes} on new`;
}

export function reportText(v: RolloutReportView): string {
  const parts = v.rollouts.length ? v.rollouts.map(rolloutText) : ['No canary rollout in the imported metric bundles'];
  if (v.groups) parts.push(['A/B comparison', ...v.groups.map(groupText)].join('\n'));
  return parts.join('\n\n');
}

export function rolloutCommand(): Command {
  const rollout = new Command('rollout').description('canary certificate rollouts reported by the agents');
  rollout.command('report').description('per host and rollout, from the imported metric bundles and their rollout.json: exposure, new vs old handshakes, failures caused, time to 100% or rollback')
    .option('--host <HOST...>', 'only these hosts (default: every host with metrics or a rollout report)')
    .option('--hosts-a <FILE>', 'A/B: the hosts of group A (e.g. the dynamic controller), one per line; the file name names the group')
    .option('--hosts-b <FILE>', 'A/B: the hosts of group B (e.g. a fixed schedule), one per line')
    .action(async (o: { host?: string[]; hostsA?: string; hostsB?: string }, cmd: Command) => {
      if (!!o.hostsA !== !!o.hostsB) throw new ColdrootError('ROLLOUT_AB_INCOMPLETE', `${o.hostsA ? '--hosts-a' : '--hosts-b'} was given without ${o.hostsA ? '--hosts-b' : '--hosts-a'}`, 'Give both host groups for an A/B comparison, or neither');
      const groups = o.hostsA && o.hostsB
        ? { a: { name: basename(o.hostsA, extname(o.hostsA)), hosts: readHostFile(o.hostsA, '--hosts-a') }, b: { name: basename(o.hostsB, extname(o.hostsB)), hosts: readHostFile(o.hostsB, '--hosts-b') } }
        : undefined;
      const view = await withConsole(cmd, async (svc) => svc.rolloutReport({ hosts: o.host, groups }), { readonly: true });
      emit(globals(cmd), view, () => reportText(view));
    });
  return rollout;
}
