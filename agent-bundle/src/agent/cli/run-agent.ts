import { isColdrootError } from '../../../../core/errors.js';
import { readAgentState } from '../lifecycle/agent-state-file.js';
import type { AgentLoop } from '../lifecycle/agent-loop.js';
import { startMetricsEndpoint, type MetricsEndpoint } from '../observability/metrics-endpoint.js';

export interface RunHooks {
  /** One collection round (the collect command's work); called on the collection schedule. */
  collect?: (now: Date, schedule: { logExcerpts: boolean; investigation: boolean }) => Promise<unknown>;
  signal?: AbortSignal;
}

/**
 * The production loop: tick now, then again after renewal.checkIntervalSeconds or when a retry is
 * due, whichever comes first; collect on the collection schedule (shortened in investigation
 * mode). Stops on SIGTERM/SIGINT or `signal`. A failed tick is logged and retried at the next.
 */
export async function runAgent(loop: AgentLoop, hooks: RunHooks = {}): Promise<void> {
  await loop.prepare();
  let endpoint: MetricsEndpoint | null = null;
  if (loop.config.prometheus.listen) {
    endpoint = await startMetricsEndpoint(loop.config.prometheus.listen, () => loop.metricsText(new Date()));
    loop.log({ event: 'metrics-endpoint', level: 'info', url: endpoint.url });
  }
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  process.once('SIGTERM', onSignal);
  process.once('SIGINT', onSignal);
  hooks.signal?.addEventListener('abort', onSignal, { once: true });
  loop.log({ event: 'agent-started', level: 'info', host: loop.config.host, stateDir: loop.layout.root });

  let nextCollect = 0;
  try {
    while (!stop.signal.aborted) {
      const now = new Date();
      let wait = loop.config.renewal.checkIntervalSeconds * 1000;
      try {
        const r = await loop.tick(now);
        if (r.renewal.nextAttemptAt) wait = Math.min(wait, Math.max(1000, Date.parse(r.renewal.nextAttemptAt) - Date.now()));
      } catch (e) {
        loop.log({ event: 'tick-failed', level: 'error', code: isColdrootError(e) ? e.code : 'INTERNAL', message: (e as Error).message });
      }
      if (hooks.collect) {
        const schedule = loop.collectSchedule(await readAgentState(loop.layout), new Date());
        if (Date.now() >= nextCollect) {
          try {
            await hooks.collect(new Date(), schedule);
          } catch (e) {
            loop.log({ event: 'collect-failed', level: 'warn', code: isColdrootError(e) ? e.code : 'INTERNAL', message: (e as Error).message });
          }
          nextCollect = Date.now() + schedule.intervalSeconds * 1000;
        }
        wait = Math.min(wait, Math.max(1000, nextCollect - Date.now()));
      }
      // A stop that arrived during the tick or the collection has already fired its event: do not sleep on it.
      if (stop.signal.aborted) break;
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        stop.signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
      });
    }
  } finally {
    process.off('SIGTERM', onSignal);
    process.off('SIGINT', onSignal);
    await endpoint?.close();
    loop.log({ event: 'agent-stopped', level: 'info' });
  }
}
