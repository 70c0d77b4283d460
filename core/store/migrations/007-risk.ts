/**
 * Risk models: trained model versions, scores with their evidence (each naming the model version
 * that made it), the latest risk of each certificate, and the queue of proposed actions with
 * the operator's decision. JSON columns hold evidence and parameters; their shapes are in
 * core/models/model-registry.ts, core/models/scoring-pipeline.ts and core/policy/action-queue.ts.
 */
export const risk = {
  version: 7,
  name: 'risk',
  sql: `
CREATE TABLE model_versions (
  id           INTEGER PRIMARY KEY,
  kind         TEXT NOT NULL,
  created_at   TEXT NOT NULL,
  created_by   TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end   TEXT NOT NULL,
  params       TEXT NOT NULL,
  data_sha256  TEXT NOT NULL,
  evaluation   TEXT NOT NULL,
  model        BLOB NOT NULL
);

CREATE TABLE risk_scores (
  id                       INTEGER PRIMARY KEY,
  model_version            INTEGER NOT NULL REFERENCES model_versions(id),
  subject                  TEXT NOT NULL CHECK (subject IN ('host', 'certificate')),
  host                     TEXT NOT NULL,
  cert_sha256              TEXT,
  computed_at              TEXT NOT NULL,
  window_start             TEXT NOT NULL,
  window_end               TEXT NOT NULL,
  risk_score               REAL NOT NULL CHECK (risk_score BETWEEN 0 AND 100),
  level                    TEXT NOT NULL CHECK (level IN ('low', 'medium', 'high', 'critical')),
  anomaly_windows          INTEGER NOT NULL,
  first_anomaly_at         TEXT,
  last_anomaly_at          TEXT,
  degradation_score        REAL NOT NULL CHECK (degradation_score BETWEEN 0 AND 100),
  predicted_degradation_at TEXT,
  evidence                 TEXT NOT NULL
);
CREATE INDEX risk_scores_by_host ON risk_scores (host, computed_at);
CREATE INDEX risk_scores_by_cert ON risk_scores (cert_sha256, computed_at) WHERE cert_sha256 IS NOT NULL;

-- The latest of each certificate's scores, as the certificate record carries it.
CREATE TABLE certificate_risk (
  cert_sha256              TEXT PRIMARY KEY,
  host                     TEXT NOT NULL,
  score_id                 INTEGER NOT NULL REFERENCES risk_scores(id),
  model_version            INTEGER NOT NULL REFERENCES model_versions(id),
  risk_score               REAL NOT NULL,
  level                    TEXT NOT NULL,
  last_anomaly_at          TEXT,
  anomaly_details          TEXT NOT NULL,
  degradation_score        REAL NOT NULL,
  predicted_degradation_at TEXT,
  updated_at               TEXT NOT NULL
);

CREATE TABLE risk_actions (
  id            INTEGER PRIMARY KEY,
  action        TEXT NOT NULL CHECK (action IN ('alert', 'investigation', 'forced-renewal', 'emergency-certificate', 'predictive-renewal')),
  host          TEXT NOT NULL,
  cert_sha256   TEXT,
  score_id      INTEGER NOT NULL REFERENCES risk_scores(id),
  model_version INTEGER NOT NULL REFERENCES model_versions(id),
  policy_sha256 TEXT NOT NULL,
  reason        TEXT NOT NULL,
  evidence      TEXT NOT NULL,
  due_at        TEXT,
  created_at    TEXT NOT NULL,
  status        TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected', 'exported', 'closed')),
  decided_at    TEXT,
  decided_by    TEXT,
  decision_note TEXT,
  exported_in   TEXT
);
CREATE INDEX risk_actions_by_status ON risk_actions (status, id);
-- One open proposal per host, certificate and action: a re-score refreshes nothing twice.
CREATE UNIQUE INDEX risk_actions_open ON risk_actions (host, coalesce(cert_sha256, ''), action) WHERE status IN ('pending', 'approved');
`,
} as const;
