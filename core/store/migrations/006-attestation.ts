/**
 * TPM attestation (docs/tpm-attestation.md): the TPM vendor certificates an endorsement key (EK)
 * certificate must chain to, the TPM enrolled for each host (its EK certificate and the attestation
 * key it quotes with), and the single-use nonces the console hands out for a later recovery quote.
 */
export const attestation = {
  version: 6,
  name: 'attestation',
  sql: `
CREATE TABLE tpm_vendor_certificates (
  id          INTEGER PRIMARY KEY,
  sha256      TEXT NOT NULL UNIQUE,
  kind        TEXT NOT NULL CHECK (kind IN ('root', 'intermediate')),
  subject     TEXT NOT NULL,
  not_after   TEXT NOT NULL,
  der         BLOB NOT NULL,
  added_at    TEXT NOT NULL,
  operator    TEXT NOT NULL
);

-- One TPM per host; a later enrolment of the same host replaces the row (the audit trail keeps the history).
CREATE TABLE tpm_enrolments (
  host            TEXT PRIMARY KEY,
  ek_sha256       TEXT NOT NULL UNIQUE,
  ek_certificate  BLOB NOT NULL,
  ak_public       BLOB NOT NULL,
  ak_name         TEXT NOT NULL,
  device_subject  TEXT NOT NULL,
  enrolled_at     TEXT NOT NULL,
  bundle_id       INTEGER NOT NULL REFERENCES bundles(id),
  request_id      TEXT NOT NULL
);

CREATE TABLE attestation_nonces (
  nonce           TEXT PRIMARY KEY,
  host            TEXT NOT NULL,
  issued_at       TEXT NOT NULL,
  expires_at      TEXT NOT NULL,
  used_at         TEXT,
  used_by_bundle  INTEGER REFERENCES bundles(id),
  used_by_request TEXT
);
CREATE INDEX attestation_nonces_by_host ON attestation_nonces (host, issued_at);
`,
} as const;
