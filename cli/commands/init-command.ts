import { Command } from 'commander';
import { globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';

export function initCommand(): Command {
  return new Command('init').description('create a Coldroot home (database, keys folder, audit key)').action(async (_o: unknown, cmd: Command) => {
    const r = await withConsole(cmd, (svc) => svc.initialize(), { create: true });
    emit(globals(cmd), r, () => `${r.created ? 'Created' : 'Already initialised:'} ${r.home}\n  audit key ${r.auditKeyFingerprint}`);
  });
}
