import { Command } from 'commander';
import { listModels, trainModel, type ModelVersion } from '../../core/models/model-registry.js';
import { globals, withConsole } from '../console-session.js';
import { emit } from '../output.js';
import { wholeNumber } from './risk-commands.js';

function versionText(m: ModelVersion): string {
  return `v${m.id}  ${m.kind}  trained ${m.createdAt} by ${m.createdBy} on ${m.windowStart} – ${m.windowEnd}\n` +
    `     data sha256 ${m.dataSha256}; ${m.evaluation.series} series, ${m.evaluation.trainingRows} holdout rows; ${m.params.nTrees} trees × ${m.params.maxSamples} rows, seed ${m.params.seed}; ` +
    `thresholds: z ${m.params.statThreshold}/${m.params.statStrong}, forest ${m.params.forestThreshold.toFixed(4)}/${m.params.forestStrong.toFixed(4)}; ` +
    `holdout alarms ${m.evaluation.statAlarmsPer1000HostDays.toFixed(2)} per 1,000 host-days; model ${m.modelBytes} bytes`;
}

export function modelsCommand(): Command {
  const models = new Command('models').description('risk models: train a new version on the imported metrics, list versions');
  models.command('train').description('train and store a new model version')
    .option('--window-days <N>', 'days of metrics to train on, ending at the newest import', wholeNumber('--window-days'), 28)
    .option('--seed <N>', 'seed of the isolation forest', wholeNumber('--seed'), 1)
    .action(async (o: { windowDays: number; seed: number }, cmd: Command) => {
      const m = await withConsole(cmd, (svc) => trainModel(svc.ctx, { windowDays: o.windowDays, seed: o.seed }));
      emit(globals(cmd), m, () => `Trained ${versionText(m)}`);
    });
  models.command('list').description('model versions, newest first')
    .action(async (_o: unknown, cmd: Command) => {
      const list = await withConsole(cmd, (svc) => listModels(svc.ctx), { readonly: true });
      emit(globals(cmd), list, () => (list.length ? list.map(versionText).join('\n') : 'No models yet: coldroot models train'));
    });
  return models;
}
