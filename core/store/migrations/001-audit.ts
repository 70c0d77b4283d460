/**
 * The audit trail and the home's metadata. Entries are append-only: the triggers stop our own
 * code from rewriting history by mistake; the hash chain and signatures catch anyone else.
 */
export const audit = {
  version: 1,
  name: 'audit',
  sql: `
CREATE TABLE meta (
  key   TEXT PRIMARY KEY,
  value TEXT NOT NULL
);

CREATE TABLE audit_entries (
  seq       INTEGER PRIMARY KEY,
  at        TEXT NOT NULL,
  actor     TEXT NOT NULL,
  role      TEXT,
  action    TEXT NOT NULL,
  inputs    TEXT NOT NULL DEFAULT '{}',
  outcome   TEXT NOT NULL,
  details   TEXT NOT NULL DEFAULT '{}',
  prev_hash TEXT NOT NULL,
  hash      TEXT NOT NULL,
  signature TEXT NOT NULL
);
CREATE INDEX audit_entries_by_action ON audit_entries (action, seq);
CREATE INDEX audit_entries_by_actor ON audit_entries (actor, seq);
CREATE INDEX audit_entries_by_at ON audit_entries (at);

CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

-- The signed head names the last entry, so deleting entries from the end is detected.
CREATE TABLE audit_head (
  id        INTEGER PRIMARY KEY CHECK (id = 1),
  seq       INTEGER NOT NULL,
  hash      TEXT NOT NULL,
  signature TEXT NOT NULL
);
`,
} as const;
