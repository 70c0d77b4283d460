/** Delegated OCSP responders: a key and an ocsp-signing certificate issued by a CA held here. */
export const ocspResponders = {
  version: 4,
  name: 'ocsp-responders',
  sql: `
CREATE TABLE ocsp_responders (
  id              TEXT PRIMARY KEY,
  ca_id           TEXT NOT NULL REFERENCES cas(id),
  status          TEXT NOT NULL CHECK (status IN ('active', 'retired')),
  key_uri         TEXT NOT NULL UNIQUE,
  key_algorithm   TEXT NOT NULL,
  certificate_der BLOB NOT NULL,
  serial          TEXT NOT NULL,
  not_after       TEXT NOT NULL,
  created_at      TEXT NOT NULL
);
CREATE UNIQUE INDEX ocsp_responders_one_active ON ocsp_responders (ca_id) WHERE status = 'active';
`,
} as const;
