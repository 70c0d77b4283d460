import { HOST, type CountMap, type MetricSample } from '../../../../core/bundles/payloads/metrics-fields.js';
import { MAX_LOG_EXCERPT_CHARS, type LogExcerpt } from '../../../../core/bundles/payloads/log-excerpts.js';
import type { RiskReport } from '../../../../core/bundles/payloads/risk-report.js';
import type { HandshakeMetricFields } from '../../../../core/policy/canary/canary-metrics.js';
import { ColdrootError } from '../../../../core/errors.js';
import { runningCanary } from '../canary/agent-canary.js';
import type { StateLayout } from '../state/state-layout.js';
import { countClients } from './client-ips.js';
import type { CollectConfig } from './collect-config.js';
import { loadCollectState, saveCollectState } from './collect-state.js';
import { addCount, summarizeHandshakes } from './handshake-summary.js';
import { scoreLocally } from './local-risk.js';
import { lineParser } from './log-patterns.js';
import { tailLog, type TailResult } from './log-tail.js';
import { readProcSnapshot, systemFigures, type ProcSnapshot } from './proc-stats.js';
import { probeTls, type ProbeResult } from './tls-probe.js';

export { type MetricsBundleInput, type OutboxBundleInput, type WrittenMetricsBundle } from './metrics-bundle.js';
// The metrics bundle with the canary rollout's progress (rollout.json) when there is one.
export { writeMetricsBundle, rolloutProgressFor } from '../canary/rollout-metrics-bundle.js';
export { writeRiskReportBundle } from './risk-report-bundle.js';
export type { LogExcerpt };

/** The console's investigation instruction (renewal.json `instructions[].investigation`), as the agent holds it. */
export interface InvestigationRequest {
  until: string | Date;
  /** Default: the configuration's investigation.intervalSeconds. */
  collectIntervalSeconds?: number;
  logExcerpts: boolean;
}

export interface CollectOnceInput {
  layout: StateLayout;
  config: CollectConfig;
  host: string;
  /** SHA-256 (hex) of the DER certificate the host presents; the samples' series key. */
  certificateSha256: string;
  now: Date;
  investigation?: InvestigationRequest;
  /**
   * Per-certificate handshakes from a canary TLS front (default: the front running for this state
   * folder in this process). Each certificate gets its own sample with the front's handshake
   * figures; the host-level fields repeat in each.
   */
  canary?: { handshakeSamples(fromMs: number): Array<{ certificateSha256: string; fields: HandshakeMetricFields }> } | null;
}

export interface LogReadSummary {
  path: string;
  start: TailResult['start'];
  lines: number;
  /** The read stopped at its size bound; the rest comes next time. */
  more: boolean;
}

export interface CollectOnceResult {
  /** One sample for the window (host, certificate) since the last collection; with a canary front, one per certificate. */
  samples: MetricSample[];
  /** Log lines that reported a certificate error or a new client, in investigation mode with logExcerpts only. */
  excerpts: LogExcerpt[];
  /** Excerpt lines left out because of investigation.maxExcerptLines. */
  excerptsDropped: number;
  probes: ProbeResult[];
  logs: LogReadSummary[];
  windowStart: Date;
  intervalSeconds: number;
  investigating: boolean;
  /** Client networks (/24, /64) not seen before; also the samples' client_nets_new (coldroot.metrics.v1.1). */
  newClientNetworks: number;
  /** When the next collection is due (investigation shortens the interval). */
  nextCollectAt: Date;
  /**
   * With collect.localRiskReport: the sample scored against this host's own history (null until
   * 12 windows are known, and without the setting). Send it with writeRiskReportBundle.
   */
  riskReport: RiskReport | null;
}

const MAX_INTERVAL = 86_400;

function utcSeconds(ms: number): string {
  return `${new Date(Math.floor(ms / 1000) * 1000).toISOString().slice(0, 19)}Z`;
}

/**
 * One collection: probes every configured endpoint (in parallel, each bounded by its timeout),
 * reads /proc, reads the log lines appended since the last run, and turns them into one
 * coldroot.metrics.v1.1 sample for the window since the last collection (on the first run, a
 * window of the configured interval ending now). The collector's memory (collect-state.json:
 * /proc counters, log offsets, clients seen) is saved atomically before returning, so a bundle
 * that then fails to be written loses that one window, never doubles it.
 */
export async function collectOnce(input: CollectOnceInput): Promise<CollectOnceResult> {
  const { layout, config, host, certificateSha256, now } = input;
  if (!HOST.test(host)) throw new ColdrootError('COLLECT_HOST_INVALID', `Host name ${JSON.stringify(host)} is not usable in metrics`, 'Use letters, digits, . _ - (1–253 characters, starting with a letter or digit)');
  if (!/^[0-9a-f]{64}$/.test(certificateSha256)) throw new ColdrootError('COLLECT_CERT_INVALID', `Certificate SHA-256 ${JSON.stringify(certificateSha256)} is not 64 lowercase hex digits`, 'Pass the SHA-256 of the DER certificate the host presents');
  const state = await loadCollectState(layout);
  const nowMs = now.getTime();

  const until = input.investigation ? new Date(input.investigation.until).getTime() : NaN;
  const investigating = Number.isFinite(until) && nowMs < until;
  const cadence = investigating ? input.investigation!.collectIntervalSeconds ?? config.investigation.intervalSeconds : config.intervalSeconds;
  const lastMs = state.lastCollectedAt ? Date.parse(state.lastCollectedAt) : NaN;
  // A clock that went backwards (or a first run) gives no usable window: fall back to the cadence.
  const elapsed = Number.isFinite(lastMs) && lastMs < nowMs ? (nowMs - lastMs) / 1000 : null;
  const intervalSeconds = Math.min(MAX_INTERVAL, Math.max(1, Math.round(elapsed ?? cadence)));
  const windowStartMs = Math.floor(nowMs / 1000) * 1000 - intervalSeconds * 1000;

  const probes = await Promise.all(config.probes.map((p) => probeTls(p)));

  let proc: ProcSnapshot | null = null;
  let system = { cpuPct: 0, memPct: 0, netRxBytes: 0, netTxBytes: 0 };
  if (config.system.enabled) {
    proc = await readProcSnapshot(config.system.procRoot);
    system = systemFigures(state.proc, proc, intervalSeconds, elapsed ?? intervalSeconds);
  }

  const windowIps: string[] = [];
  const certErrors: CountMap = {};
  const logs: LogReadSummary[] = [];
  const wantExcerpts = investigating && input.investigation!.logExcerpts;
  const candidates: Array<{ source: string; line: string; ip: string | null; error: boolean }> = [];
  for (const source of config.logs) {
    const parse = lineParser(source.format, source.pattern);
    const read = await tailLog(source.path, state.logs[source.path] ?? null);
    if (read.cursor) state.logs[source.path] = read.cursor;
    logs.push({ path: source.path, start: read.start, lines: read.lines.length, more: read.more });
    for (const line of read.lines) {
      const f = parse(line);
      if (f.ip) windowIps.push(f.ip);
      if (f.error) addCount(certErrors, f.error);
      if (wantExcerpts && (f.error || f.ip)) candidates.push({ source: source.path, line, ip: f.ip, error: f.error !== null });
    }
  }
  // Logs no longer configured are forgotten so the state does not grow with old paths.
  for (const path of Object.keys(state.logs)) if (!config.logs.some((l) => l.path === path)) delete state.logs[path];
  const clients = countClients(state.seen, windowIps, Math.floor(nowMs / 1000));

  const excerpts: LogExcerpt[] = [];
  let excerptsDropped = 0;
  const time = utcSeconds(nowMs);
  for (const c of candidates) {
    if (!c.error && !(c.ip && clients.freshIps.has(c.ip))) continue;
    if (excerpts.length >= config.investigation.maxExcerptLines) { excerptsDropped++; continue; }
    excerpts.push({ host, time, source: c.source, line: c.line.slice(0, MAX_LOG_EXCERPT_CHARS) });
  }

  const sample: MetricSample = {
    host, cert: certificateSha256, t: utcSeconds(windowStartMs), interval_s: intervalSeconds,
    ...summarizeHandshakes(probes),
    client_ips_distinct: clients.distinct, client_ips_new: clients.fresh,
    cpu_pct: system.cpuPct, mem_pct: system.memPct, net_rx_bytes: system.netRxBytes, net_tx_bytes: system.netTxBytes,
    cert_validation_errors: certErrors,
    client_nets_distinct: clients.distinctNets, client_nets_new: clients.freshNets,
  };

  const samples: MetricSample[] = [sample];
  const canary = input.canary === undefined ? runningCanary(layout.root) : input.canary;
  if (canary) {
    for (const arm of canary.handshakeSamples(windowStartMs)) {
      const s: MetricSample = { ...sample, cert: arm.certificateSha256, ...arm.fields };
      if (arm.certificateSha256 === certificateSha256) samples[0] = s;
      else samples.push(s);
    }
  }

  let riskReport: RiskReport | null = null;
  if (config.localRiskReport) riskReport = scoreLocally((state.riskHistory ??= []), sample, now);
  else delete state.riskHistory;

  state.lastCollectedAt = new Date(nowMs).toISOString();
  if (proc) state.proc = proc;
  await saveCollectState(layout, state);
  return {
    samples, excerpts, excerptsDropped, probes, logs,
    windowStart: new Date(windowStartMs), intervalSeconds, investigating, newClientNetworks: clients.freshNets,
    nextCollectAt: new Date(nowMs + cadence * 1000), riskReport,
  };
}
