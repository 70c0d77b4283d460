/**
 * The agents' canary rollout progress (coldroot.rollout-progress.v1, the rollout.json of a metrics
 * bundle), one row per rollout per importing bundle. Every report is kept: bundles cross the air
 * gap in any order, so "newest" is decided when reading (reported_at, the bundle's creation time),
 * not by overwriting on import. changes and last_decision hold the file's JSON as it came.
 */
export const rolloutProgress = {
  version: 8,
  name: 'rollout-progress',
  sql: `
CREATE TABLE rollout_progress (
  id                 INTEGER PRIMARY KEY,
  bundle_id          INTEGER NOT NULL REFERENCES bundles(id),
  host               TEXT NOT NULL,
  plan_id            TEXT NOT NULL,
  policy             TEXT NOT NULL,
  state              TEXT NOT NULL CHECK (state IN ('running', 'complete', 'rolled-back', 'failed-safe', 'all-at-once')),
  exposure_percent   REAL NOT NULL CHECK (exposure_percent BETWEEN 0 AND 100),
  active_certificate TEXT NOT NULL CHECK (active_certificate IN ('old', 'new')),
  old_cert_sha256    TEXT NOT NULL,
  new_cert_sha256    TEXT NOT NULL,
  started_at         TEXT NOT NULL,
  last_change_at     TEXT NOT NULL,
  finished_at        TEXT,
  changes            TEXT NOT NULL,
  last_decision      TEXT,
  rollback_reason    TEXT,
  reported_at        TEXT NOT NULL,
  UNIQUE (bundle_id, host, plan_id)
);
-- The report: the newest row of each (host, plan), per host.
CREATE INDEX rollout_progress_by_host_plan ON rollout_progress (host, plan_id, reported_at, last_change_at);
`,
} as const;
