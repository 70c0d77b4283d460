import { Command, CommanderError } from 'commander';
import { agentCommand } from './commands/agent-commands.js';
import { auditCommand } from './commands/audit-commands.js';
import { bundleCommand } from './commands/bundle-commands.js';
import { caCommand } from './commands/ca-commands.js';
import { demoCommand } from './commands/demo-command.js';
import { initCommand } from './commands/init-command.js';
import { issuanceCommands } from './commands/issuance-commands.js';
import { serveCommand } from './commands/serve-command.js';
import { tpmCommand } from './commands/tpm-commands.js';
import { verifyCommand } from './commands/verify-command.js';
import { modelsCommand } from './commands/models-commands.js';
import { queueCommand } from './commands/queue-commands.js';
import { riskCommand } from './commands/risk-commands.js';
import { rolloutCommand } from './commands/rollout-commands.js';
import { statusCommand } from './commands/status-commands.js';
import { reportError } from './output.js';

const program = new Command('coldroot')
  .description('Coldroot: offline PKI operator console')
  .option('--home <DIR>', 'home folder (default: $COLDROOT_HOME or the platform app-data folder)')
  .option('--json', 'machine-readable output')
  .option('--operator <NAME>', 'acting operator recorded in the audit trail (default: the OS user)')
  .showHelpAfterError()
  .exitOverride();

for (const c of [initCommand(), caCommand(), ...issuanceCommands(), verifyCommand(), auditCommand(), demoCommand(), bundleCommand(), serveCommand(), riskCommand(), queueCommand(), modelsCommand(), statusCommand(), agentCommand(), tpmCommand(), rolloutCommand()]) program.addCommand(c);

function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverrideAll);
}
exitOverrideAll(program);

const json = process.argv.includes('--json');
try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    // help and version exit 0; a usage error is bad input (exit 2)
    process.exitCode = e.exitCode === 0 ? 0 : 2;
    if (json && e.exitCode !== 0) process.stdout.write(`${JSON.stringify({ error: { code: 'USAGE', message: e.message, hint: 'See coldroot --help' } })}\n`);
  } else {
    process.exitCode = reportError(e, json);
  }
}
