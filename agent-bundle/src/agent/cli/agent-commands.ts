import { Command, Option } from 'commander';
import { ColdrootError } from '../../../../core/errors.js';
import { tlsFrontCommands } from '../../tls-front/tls-front-commands.js';
import { DEFAULT_CONFIG_PATH, loadAgentConfig } from '../config/agent-config.js';
import { clockOf, configPath, openAgent, type GlobalOptions } from './agent-options.js';
import { agentStatus, formatStatus } from './agent-status.js';
import { runAgent } from './run-agent.js';
import { collectCommand, collectRound } from './collect-command.js';

const globals = (cmd: Command) => cmd.optsWithGlobals<GlobalOptions & Record<string, unknown>>();
const print = (v: unknown) => process.stdout.write(`${JSON.stringify(v, null, 2)}\n`);

export function agentProgram(): Command {
  const program = new Command('coldroot-agent')
    .description('Coldroot agent: keeps this host\'s management certificate renewed, collects behavioural metrics')
    .option('--config <FILE>', `configuration file (default: $COLDROOT_AGENT_CONFIG or ${DEFAULT_CONFIG_PATH})`)
    .addOption(new Option('--now <ISO>', 'pretend the clock shows this time (tests)').hideHelp())
    .showHelpAfterError();

  program.command('run')
    .description('run the lifecycle: tick every renewal.checkIntervalSeconds (sooner when a retry is due), collect on schedule')
    .option('--once', 'one tick, then exit')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const { loop } = await openAgent(g);
      if (g.once) {
        await loop.prepare();
        try {
          const r = await loop.tick(clockOf(g));
          if (r.clockSkew) process.exitCode = 1;
        } finally {
          // A canary front started by the tick would keep the process alive; the next run resumes it from disk.
          await loop.close();
        }
        return;
      }
      if (g.now) throw new ColdrootError('AGENT_NOW_WITH_RUN', '--now only works with run --once', 'Drop --now, or add --once');
      try {
        await runAgent(loop, { collect: (now) => collectRound(loop, now) });
      } finally {
        await loop.close();
      }
    });

  program.command('status')
    .description("the management certificate's state and the renewal state")
    .option('--json', 'machine-readable output')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const { config, layout } = await openAgent(g);
      const s = await agentStatus(config, layout, clockOf(g));
      if (g.json) print(s);
      else process.stdout.write(formatStatus(s));
    });

  program.addCommand(collectCommand(globals));

  program.command('request-renewal')
    .description('ask for a new certificate now (does nothing while a request is already in flight)')
    .addOption(new Option('--reason <REASON>', 'why').choices(['manual', 'key-rotation', 'key-compromise', 'risk', 'expiring']).default('manual'))
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const { loop } = await openAgent(g);
      await loop.prepare();
      const r = await loop.requestNow(clockOf(g), g.reason as 'manual');
      print(r ?? { requestId: null, sent: false, note: 'a request is already in flight; nothing new was made' });
      if (r && !r.sent) process.exitCode = 1;
    });

  program.command('apply')
    .description('install a renewal bundle from FILE (as the inbox would)')
    .argument('<FILE>', 'renewal bundle')
    .action(async (file: string, _o, cmd: Command) => {
      const g = globals(cmd);
      const { loop } = await openAgent(g);
      const outcome = await loop.apply(file, clockOf(g));
      print(outcome);
      if (outcome.status === 'rejected' || outcome.status === 'rolled-back' || outcome.status === 'failed') process.exitCode = 1;
    });

  program.command('check-config')
    .description('parse the configuration strictly and print it with its defaults')
    .action(async (_o, cmd: Command) => {
      const g = globals(cmd);
      const path = configPath(g);
      const config = await loadAgentConfig(path);
      print({ ok: true, config: path, effective: config });
    });

  for (const c of tlsFrontCommands()) program.addCommand(c);
  return program;
}
