import type { MetricSample } from '../../core/bundles/payloads/metrics-fields.js';
import { ROLLOUT_PROGRESS_SCHEMA_V1, type RolloutProgressFile, type RolloutReport } from '../../core/policy/canary/rollout-progress.js';

/*
 * What a host's agent reports during a canary rollout, as metric samples (one series per
 * certificate) and rollout.json, for the tests that import them: old and new certificate, one
 * 60 s interval per step from ROLLOUT_START. Samples and dates are pinned, so the figures a report
 * derives from them are known in advance.
 */

export const ROLLOUT_START = Date.parse('2026-03-01T20:00:00Z');
export const OLD_CERT = 'a'.repeat(64);
export const NEW_CERT = 'b'.repeat(64);

/** The ISO time of interval `k`. */
export const rolloutAt = (k: number): string => new Date(ROLLOUT_START + k * 60_000).toISOString();

/**
 * One 60 s interval `k` of `total` handshakes, `exposure`% of them on the new certificate, which
 * loses `newFailPct`% to unknown_ca; p95 12 ms on old, 15 ms on new; old loses 0.2% to unrelated
 * closes (as the simulation assumes).
 */
export function rolloutInterval(host: string, k: number, exposure: number, newFailPct = 0, total = 1000): MetricSample[] {
  const t = `${new Date(ROLLOUT_START + k * 60_000).toISOString().slice(0, 19)}Z`;
  const onNew = Math.round(total * exposure / 100);
  const sample = (cert: string, attempted: number, failed: number, p95: number, cause: string): MetricSample => ({
    host, cert, t, interval_s: 60, hs_attempted: attempted, hs_succeeded: attempted - failed, hs_failed: failed,
    hs_failed_by: failed ? { [cause]: failed } : {}, hs_p50_ms: attempted - failed ? p95 / 2 : null, hs_p95_ms: attempted - failed ? p95 : null,
    protocols: attempted - failed ? { 'TLSv1.3': attempted - failed } : {}, ciphers: {}, client_ips_distinct: 10, client_ips_new: 0,
    cpu_pct: 1, mem_pct: 1, net_rx_bytes: 0, net_tx_bytes: 0, cert_validation_errors: {},
  });
  const out: MetricSample[] = [];
  if (total - onNew > 0) out.push(sample(OLD_CERT, total - onNew, Math.round((total - onNew) * 0.002), 12, 'error:closed_during_handshake'));
  if (onNew > 0) out.push(sample(NEW_CERT, onNew, Math.round(onNew * newFailPct / 100), 15, 'alert:unknown_ca'));
  return out;
}

/** A rollout.json with one rollout of `host`: by default plan edge-2026, adaptive, rolled back at interval 1 (5% → 0). */
export function rolloutProgress(host: string, o: Partial<RolloutReport> = {}): RolloutProgressFile {
  return {
    schema: ROLLOUT_PROGRESS_SCHEMA_V1,
    rollouts: [{
      host, planId: 'edge-2026', policy: 'adaptive', state: 'rolled-back', exposurePercent: 0, activeCertificate: 'old', oldCertificate: OLD_CERT, newCertificate: NEW_CERT,
      startedAt: rolloutAt(0), lastChangeAt: rolloutAt(1), finishedAt: rolloutAt(1), rollbackReason: 'success rate 70.0% on new vs 99.8% on old',
      changes: [{ at: rolloutAt(0), from: 0, to: 5, action: 'increase', metric: 'start' }, { at: rolloutAt(1), from: 5, to: 0, action: 'rollback', metric: 'target' }],
      lastDecision: { at: rolloutAt(1), action: 'rollback', from: 5, to: 0, metric: 'target', message: 'success rate 70.0% on new' }, ...o,
    }],
  };
}
