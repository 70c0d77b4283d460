import { Command } from 'commander';
import { ColdrootError } from '../../../../core/errors.js';
import { collectOnce, writeMetricsBundle, writeRiskReportBundle } from '../collect/collect-once.js';
import { readAgentState } from '../lifecycle/agent-state-file.js';
import type { AgentLoop } from '../lifecycle/agent-loop.js';
import { signerOf } from '../lifecycle/agent-credentials.js';
import { clockOf, openAgent, type GlobalOptions } from './agent-options.js';

/**
 * One collection round: sample, then write a signed metrics bundle (by the management
 * certificate) into the outbox. Investigation mode from the last renewal bundle shortens the
 * schedule and adds log excerpts.
 */
export async function collectRound(loop: AgentLoop, now: Date): Promise<CollectRound> {
  // The state lock: bundle sequence numbers and the collect state are read-modify-write files.
  return loop.exclusive('collect', () => collectUnlocked(loop, now));
}

export interface CollectRound { bundle: string; records: number; excerpts: number; investigating: boolean; nextCollectAt: string; riskReport: string | null }

async function collectUnlocked(loop: AgentLoop, now: Date): Promise<CollectRound> {
  const management = await loop.managementCredential();
  if (!management) {
    throw new ColdrootError('AGENT_NOT_ENROLLED', `No management certificate in ${loop.layout.root} yet, so there is nothing to sign metrics with`, 'Wait for enrolment (coldroot-agent status), then collect', 'failure');
  }
  const state = await readAgentState(loop.layout);
  const inv = state.investigation && Date.parse(state.investigation.until) > now.getTime() ? state.investigation : null;
  const r = await collectOnce({
    layout: loop.layout, config: loop.config.collect, host: loop.config.host, certificateSha256: management.fingerprintSha256, now,
    ...(inv ? { investigation: { until: inv.until, collectIntervalSeconds: inv.collectIntervalSeconds, logExcerpts: inv.logExcerpts } } : {}),
  });
  const written = await writeMetricsBundle({
    layout: loop.layout, identity: { signer: signerOf(management), certificate: management.certificate, chain: management.chain },
    samples: r.samples, excerpts: r.excerpts, now, outDir: loop.config.transport.outbox ?? loop.layout.outbox,
  });
  // With localRiskReport on, anomalies found on the host travel as their own signed risk-report bundle.
  const report = r.riskReport
    ? await writeRiskReportBundle({ layout: loop.layout, identity: { signer: signerOf(management), certificate: management.certificate, chain: management.chain }, reports: [r.riskReport], now, outDir: loop.config.transport.outbox ?? loop.layout.outbox })
    : null;
  if (report) loop.log({ event: 'risk-report-written', level: 'warn', bundle: report.path, riskLevel: r.riskReport!.level });
  loop.log({ event: 'metrics-collected', level: 'info', bundle: written.path, records: written.records, excerpts: written.excerpts, investigating: r.investigating, nextCollectAt: r.nextCollectAt.toISOString() });
  return { bundle: written.path, records: written.records, excerpts: written.excerpts, investigating: r.investigating, nextCollectAt: r.nextCollectAt.toISOString(), riskReport: report?.path ?? null };
}

export function collectCommand(globals: (cmd: Command) => GlobalOptions): Command {
  return new Command('collect')
    .description('collect behavioural metrics once and write a signed metrics bundle to the outbox')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const { loop } = await openAgent(g);
      await loop.prepare();
      process.stdout.write(`${JSON.stringify(await collectRound(loop, clockOf(g)), null, 2)}\n`);
    });
}
