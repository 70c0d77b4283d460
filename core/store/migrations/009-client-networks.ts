/**
 * coldroot.metrics.v1.1 adds the client networks (/24, /64) seen in a sample and how many of them
 * were never seen before (docs/metrics-format.md). Nullable: v1 samples, and every row imported
 * before this version, carry no network counts (the risk feature then falls back to new client IPs).
 * Appended columns, so the positional sample INSERT binds them as slots 19 and 20.
 */
export const clientNetworks = {
  version: 9,
  name: 'client-networks',
  sql: `
ALTER TABLE metric_samples ADD COLUMN client_nets_distinct INTEGER;
ALTER TABLE metric_samples ADD COLUMN client_nets_new INTEGER;
`,
} as const;
