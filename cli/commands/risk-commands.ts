import { Command } from 'commander';
import { ColdrootError } from '../../core/errors.js';
import { explainRisk, listRisk, type RiskRow } from '../../core/models/risk-queries.js';
import { scoreFleet } from '../../core/models/scoring-pipeline.js';
import { resolvePolicy } from '../../core/policy/policy-file.js';
import { globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

/** A whole number option; anything else is bad input (exit 2) naming the flag. */
export const wholeNumber = (flag: string) => (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(n)) throw new ColdrootError('BAD_NUMBER', `${flag} '${v}' is not a whole number`, `Give ${flag} as digits, e.g. ${flag} 24`);
  return n;
};

function rowText(r: RiskRow): string {
  const deg = r.degradationScore > 0 ? `  degradation ${r.degradationScore}${r.predictedDegradationAt ? ` by ${r.predictedDegradationAt.slice(0, 10)}` : ''}` : '';
  return `${String(r.riskScore).padStart(5)}  ${r.level.padEnd(8)} ${r.host}  ${r.anomalyWindows} anomalous window(s)${r.firstAnomalyAt ? ` since ${r.firstAnomalyAt}` : ''}${deg}`;
}

function explainText(e: ReturnType<typeof explainRisk>): string {
  const lines: string[] = [];
  if (e.host) lines.push(`host ${e.host.host}: risk ${e.host.riskScore} (${e.host.level}), degradation ${e.host.degradationScore}; model v${e.host.modelVersion}, window ${e.host.windowStart} – ${e.host.windowEnd}`);
  for (const c of e.certificates) {
    const ev = c.evidence as { anomalyWindows: number; firstAnomalyAt: string | null; statistical: { peakZ: number; threshold: number; feature: string | null }; isolationForest: { peakScore: number; threshold: number }; features: Array<{ feature: string; value: number; expected: number; z: number; since: string }>; degradation: Array<{ kind: string; score: number; detail: string }>; certificate: { caId: string; serial: string; subject: string } | null };
    lines.push(`certificate ${c.certSha256}${ev.certificate ? ` (${ev.certificate.subject}, serial ${ev.certificate.serial}, CA ${ev.certificate.caId})` : ''}`);
    lines.push(`  risk ${c.riskScore} (${c.level}): ${ev.anomalyWindows} anomalous window(s)${ev.firstAnomalyAt ? ` since ${ev.firstAnomalyAt}` : ''}; statistical peak z ${ev.statistical.peakZ} (threshold ${ev.statistical.threshold}${ev.statistical.feature ? `, ${ev.statistical.feature}` : ''}), forest peak ${ev.isolationForest.peakScore} (threshold ${ev.isolationForest.threshold})`);
    for (const f of ev.features) lines.push(`    ${f.feature}: ${f.value} against ${f.expected} expected (z ${f.z}) since ${f.since}`);
    lines.push(`  degradation ${c.degradationScore}${c.predictedDegradationAt ? `, predicted ${c.predictedDegradationAt}` : ''}`);
    for (const d of ev.degradation) lines.push(`    ${d.kind} (${d.score}): ${d.detail}`);
  }
  for (const a of e.openActions) lines.push(`action ${a.id} ${a.action} [${a.status}]: ${a.reason}`);
  return lines.join('\n');
}

export function riskCommand(): Command {
  const risk = new Command('risk').description('risk scores from imported metrics: score the fleet, list, explain');
  risk.command('score').description('score every host and certificate with the newest model and queue the policy\'s actions')
    .option('--window-hours <N>', 'hours scored, ending at the newest imported metrics', wholeNumber('--window-hours'), 24)
    .option('--model <VERSION>', 'model version (default: the newest)', wholeNumber('--model'))
    .option('--policy <FILE>', 'risk policy JSON (default: <home>/risk-policy.json, else built-in defaults)')
    .action(async (o: { windowHours: number; model?: number; policy?: string }, cmd: Command) => {
      const r = await withConsole(cmd, (svc) => {
        const { policy, source } = resolvePolicy(svc.ctx.store.home, o.policy);
        return { ...scoreFleet(svc.ctx, { windowHours: o.windowHours, modelVersion: o.model, policy }), policySource: source };
      });
      emit(globals(cmd), r, () => `Scored ${r.series} certificate series on ${r.hosts} hosts with model v${r.modelVersion} (${r.windowStart} – ${r.windowEnd}, policy: ${r.policySource})\n` +
        `  hosts by level: ${Object.entries(r.levels).map(([k, v]) => `${k} ${v}`).join(', ')}\n  actions queued: ${r.actionsAdded.length} (${r.actionsAutoApproved.length} auto-approved)\n  took ${r.timings.total} s`);
    });
  risk.command('list').description('each host\'s latest risk, riskiest first')
    .option('--min-score <N>', 'only hosts at or above this score', wholeNumber('--min-score'))
    .action(async (o: { minScore?: number }, cmd: Command) => {
      const rows = await withConsole(cmd, (svc) => listRisk(svc.ctx, { minScore: o.minScore }), { readonly: true });
      emit(globals(cmd), rows, () => (rows.length ? rows.map(rowText).join('\n') : 'No scores yet: run coldroot risk score'));
    });
  risk.command('explain').description('why a host or certificate has its risk: features, distance from baseline, since when, degradation factors')
    .argument('<HOST|SERIAL>', 'host name, certificate serial (hex) or SHA-256 fingerprint')
    .action(async (q: string, _o: unknown, cmd: Command) => {
      const e = await withConsole(cmd, (svc) => explainRisk(svc.ctx, q), { readonly: true });
      emit(globals(cmd), e, () => explainText(e));
    });
  return risk;
}
