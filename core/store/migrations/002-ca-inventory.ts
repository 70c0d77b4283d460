/** CAs, the certificates they issued, and the CRLs they published. */
export const caInventory = {
  version: 2,
  name: 'ca-inventory',
  sql: `
CREATE TABLE cas (
  id              TEXT PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE,
  parent_id       TEXT REFERENCES cas(id),
  kind            TEXT NOT NULL CHECK (kind IN ('root', 'intermediate')),
  status          TEXT NOT NULL CHECK (status IN ('active', 'awaiting-certificate')),
  key_uri         TEXT NOT NULL UNIQUE,
  key_algorithm   TEXT NOT NULL,
  public_key_spki BLOB NOT NULL,
  csr_der         BLOB,
  certificate_der BLOB,
  subject         TEXT NOT NULL,
  serial          TEXT,
  not_before      TEXT,
  not_after       TEXT,
  ski             TEXT,
  path_len        INTEGER,
  crl_number      INTEGER NOT NULL DEFAULT 0,
  crl_url         TEXT,
  ocsp_url        TEXT,
  ca_issuers_url  TEXT,
  created_at      TEXT NOT NULL
);

CREATE TABLE certificates (
  ca_id              TEXT NOT NULL REFERENCES cas(id),
  serial             TEXT NOT NULL,
  profile            TEXT NOT NULL,
  subject            TEXT NOT NULL,
  sans               TEXT NOT NULL DEFAULT '[]',
  not_before         TEXT NOT NULL,
  not_after          TEXT NOT NULL,
  fingerprint_sha256 TEXT NOT NULL UNIQUE,
  der                BLOB NOT NULL,
  status             TEXT NOT NULL DEFAULT 'good' CHECK (status IN ('good', 'revoked')),
  revoked_at         TEXT,
  revocation_reason  TEXT,
  issued_at          TEXT NOT NULL,
  PRIMARY KEY (ca_id, serial)
);
CREATE INDEX certificates_by_status ON certificates (ca_id, status);
-- Covers CRL generation: revoked entries of a CA, in serial order, without touching the table.
CREATE INDEX certificates_revoked ON certificates (ca_id, serial, revoked_at, revocation_reason) WHERE status = 'revoked';
CREATE INDEX certificates_by_not_after ON certificates (not_after);

CREATE TABLE crls (
  ca_id       TEXT NOT NULL REFERENCES cas(id),
  crl_number  INTEGER NOT NULL,
  this_update TEXT NOT NULL,
  next_update TEXT NOT NULL,
  der         BLOB NOT NULL,
  PRIMARY KEY (ca_id, crl_number)
);
`,
} as const;
