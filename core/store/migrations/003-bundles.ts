/**
 * Bundles that crossed the air gap (imported and exported), what they carried, and the console's
 * bundle-signing identities. Metric samples are the bulk (a million rows per import): one narrow
 * row each, host and certificate factored out into metric_series, one index for time-series reads.
 */
export const bundles = {
  version: 3,
  name: 'bundles',
  sql: `
CREATE TABLE bundles (
  id               INTEGER PRIMARY KEY,
  bundle_id        TEXT NOT NULL UNIQUE,
  direction        TEXT NOT NULL CHECK (direction IN ('import', 'export')),
  type             TEXT NOT NULL,
  format_version   INTEGER NOT NULL,
  producer_sha256  TEXT NOT NULL,
  producer_subject TEXT NOT NULL,
  producer_ca_id   TEXT REFERENCES cas(id),
  producer_serial  TEXT,
  sequence         INTEGER NOT NULL CHECK (sequence >= 1),
  created_at       TEXT NOT NULL,
  in_reply_to      TEXT,
  manifest         BLOB NOT NULL,
  manifest_sha256  TEXT NOT NULL,
  signature        BLOB NOT NULL,
  file_sha256      TEXT,
  file_size        INTEGER,
  records          INTEGER NOT NULL DEFAULT 0,
  processed_at     TEXT NOT NULL,
  operator         TEXT NOT NULL,
  UNIQUE (producer_sha256, sequence)
);
CREATE INDEX bundles_by_type ON bundles (type, processed_at);

CREATE TABLE bundle_signers (
  id                 INTEGER PRIMARY KEY,
  key_uri            TEXT NOT NULL UNIQUE,
  key_algorithm      TEXT NOT NULL,
  ca_id              TEXT NOT NULL,
  serial             TEXT NOT NULL,
  certificate_sha256 TEXT NOT NULL UNIQUE,
  created_at         TEXT NOT NULL,
  FOREIGN KEY (ca_id, serial) REFERENCES certificates (ca_id, serial)
);

CREATE TABLE metric_series (
  id          INTEGER PRIMARY KEY,
  host        TEXT NOT NULL,
  cert_sha256 TEXT NOT NULL,
  UNIQUE (host, cert_sha256)
);

-- Columns follow coldroot.metrics.v1 (docs/metrics-format.md); t is Unix seconds, count maps are 'name=count;name=count' text.
CREATE TABLE metric_samples (
  series_id              INTEGER NOT NULL REFERENCES metric_series(id),
  bundle_id              INTEGER NOT NULL REFERENCES bundles(id),
  t                      INTEGER NOT NULL,
  interval_s             INTEGER NOT NULL,
  hs_attempted           INTEGER NOT NULL,
  hs_succeeded           INTEGER NOT NULL,
  hs_failed              INTEGER NOT NULL,
  hs_failed_by           TEXT NOT NULL,
  hs_p50_ms              REAL,
  hs_p95_ms              REAL,
  protocols              TEXT NOT NULL,
  ciphers                TEXT NOT NULL,
  client_ips_distinct    INTEGER NOT NULL,
  client_ips_new         INTEGER NOT NULL,
  cpu_pct                REAL NOT NULL,
  mem_pct                REAL NOT NULL,
  net_rx_bytes           INTEGER NOT NULL,
  net_tx_bytes           INTEGER NOT NULL,
  cert_validation_errors TEXT NOT NULL
);
CREATE INDEX metric_samples_by_series ON metric_samples (series_id, t);

CREATE TABLE risk_reports (
  id           INTEGER PRIMARY KEY,
  bundle_id    INTEGER NOT NULL REFERENCES bundles(id),
  host         TEXT NOT NULL,
  cert_sha256  TEXT NOT NULL,
  computed_at  TEXT NOT NULL,
  window_start TEXT NOT NULL,
  window_end   TEXT NOT NULL,
  model        TEXT NOT NULL,
  score        REAL NOT NULL,
  level        TEXT NOT NULL,
  anomalies    TEXT NOT NULL
);
CREATE INDEX risk_reports_by_host ON risk_reports (host, computed_at);

CREATE TABLE renewal_requests (
  id                INTEGER PRIMARY KEY,
  bundle_id         INTEGER NOT NULL REFERENCES bundles(id),
  request_id        TEXT NOT NULL,
  host              TEXT NOT NULL,
  profile           TEXT NOT NULL,
  reason            TEXT NOT NULL,
  detail            TEXT,
  csr_der           BLOB NOT NULL,
  subject           TEXT NOT NULL,
  proof_kind        TEXT NOT NULL CHECK (proof_kind IN ('current-certificate', 'bootstrap-certificate', 'tpm-attestation')),
  proof_certificate BLOB,
  proof_signature   BLOB,
  proof_attestation BLOB,
  status            TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'issued', 'rejected')),
  answered_in       TEXT,
  issued_ca_id      TEXT,
  issued_serial     TEXT,
  rejection_code    TEXT,
  UNIQUE (bundle_id, request_id)
);
CREATE INDEX renewal_requests_by_status ON renewal_requests (status, host);
`,
} as const;
