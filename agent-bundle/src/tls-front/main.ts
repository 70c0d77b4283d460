// Runnable entry of the TLS front until the agent CLI (issue 5) mounts tlsFrontCommands():
//   node --import tsx agent-bundle/src/tls-front/main.ts serve-tls --listen 127.0.0.1:8443 --upstream 127.0.0.1:8080 \
//     --old-cert old.pem --old-key old.key --new-cert new.pem --new-key new.key [--plan plan.json]
import { Command, CommanderError } from 'commander';
import { isColdrootError } from '../../../core/errors.js';
import { tlsFrontCommands } from './tls-front-commands.js';

const program = new Command('coldroot-agent').description('Coldroot agent: TLS front for canary certificate rollouts').showHelpAfterError();
for (const c of tlsFrontCommands()) program.addCommand(c.exitOverride());
program.exitOverride();

try {
  await program.parseAsync(process.argv);
} catch (e) {
  if (e instanceof CommanderError) {
    process.exitCode = e.exitCode === 0 ? 0 : 2;
  } else if (isColdrootError(e)) {
    process.stderr.write(`error ${e.code}: ${e.message}\nhint: ${e.hint}\n`);
    process.exitCode = e.kind === 'input' ? 2 : 1;
  } else {
    process.stderr.write(`error: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  }
}
