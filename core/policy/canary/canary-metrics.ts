import type { MetricSample } from '../../bundles/payloads/metrics-schema.js';
import type { ArmSummary } from './metrics-window.js';

/**
 * The handshake half of a coldroot.metrics.v1 sample for one certificate, from the controller's
 * window: what the agent puts in its metric bundles so the console sees each certificate's
 * handshakes side by side. The agent adds host, cert, t, interval and the host-level fields.
 */
export type HandshakeMetricFields = Pick<MetricSample,
  'hs_attempted' | 'hs_succeeded' | 'hs_failed' | 'hs_failed_by' | 'hs_p50_ms' | 'hs_p95_ms' | 'protocols' | 'ciphers'>;

/** Map keys a metrics sample accepts (see metrics-schema MAP_KEY); at most 64 keys per map. */
const KEY = /^[A-Za-z0-9][A-Za-z0-9_.:/+-]{0,63}$/;
const MAX_KEYS = 64;

function countMap(m: Record<string, number>, overflow: string): Record<string, number> {
  const out: Record<string, number> = {};
  const entries = Object.entries(m).sort((a, b) => b[1] - a[1]);
  for (const [k, v] of entries) {
    const key = KEY.test(k) && Object.keys(out).length < MAX_KEYS - 1 ? k : overflow;
    out[key] = (out[key] ?? 0) + v;
  }
  return out;
}

const ms = (x: number | null) => (x === null ? null : Math.round(x * 1000) / 1000);

export function handshakeMetricFields(s: ArmSummary): HandshakeMetricFields {
  return {
    hs_attempted: s.attempted,
    hs_succeeded: s.succeeded,
    hs_failed: s.failed,
    hs_failed_by: countMap(s.failedBy, 'error:other'),
    hs_p50_ms: ms(s.p50Ms),
    hs_p95_ms: ms(s.p95Ms),
    protocols: countMap(s.protocols, 'other'),
    ciphers: countMap(s.ciphers, 'other'),
  };
}
