// Entry of `coldroot-agent` (bin/coldroot-agent.js in development; esbuild bundles this file for devices).
import { CommanderError, type Command } from 'commander';
import { isColdrootError } from '../../../core/errors.js';
import { agentProgram } from './cli/agent-commands.js';

function exitOverrideAll(cmd: Command): void {
  cmd.exitOverride();
  cmd.commands.forEach(exitOverrideAll);
}

async function main(): Promise<void> {
  const program = agentProgram();
  exitOverrideAll(program);
  await program.parseAsync(process.argv);
}

// No top-level await: the single executable (SEA) build embeds this file as CommonJS, which has none.
main().catch((e: unknown) => {
  if (e instanceof CommanderError) {
    // help and version exit 0; a usage error is bad input
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (isColdrootError(e)) {
    process.stderr.write(`error ${e.code}: ${e.message}\nhint: ${e.hint}\n`);
    process.exitCode = e.kind === 'input' ? 2 : 1;
  } else {
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
});
