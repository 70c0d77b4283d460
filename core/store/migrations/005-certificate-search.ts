/**
 * The console's certificate table over the whole inventory: covering indexes for its sorts and
 * filters, and a full-text index over subject and SANs (serials have their own index), so a
 * search is an index lookup rather than a scan of a million rows. The full-text table holds no
 * copy of the text (external content); triggers keep it in step with certificates.
 */
export const certificateSearch = {
  version: 5,
  name: 'certificate-search',
  sql: `
-- One covering index per sort order: a page at any depth, under any status/CA/profile filter, is read
-- from the index alone. (status, not_after) and (profile, …) answer counts.
CREATE INDEX certificates_browse_not_after ON certificates (not_after, status, ca_id, profile);
CREATE INDEX certificates_browse_issued_at ON certificates (issued_at, status, ca_id, profile);
CREATE INDEX certificates_browse_subject ON certificates (subject COLLATE NOCASE, status, ca_id, profile);
CREATE INDEX certificates_browse_serial ON certificates (serial, status, ca_id, profile);
CREATE INDEX certificates_by_status_not_after ON certificates (status, not_after);
CREATE INDEX certificates_by_profile ON certificates (profile, status, not_after);
CREATE INDEX risk_reports_by_cert ON risk_reports (cert_sha256, computed_at);

CREATE VIRTUAL TABLE certificate_search USING fts5(
  subject, sans,
  content = 'certificates', content_rowid = 'rowid',
  tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO certificate_search (certificate_search) VALUES ('rebuild');

CREATE TRIGGER certificates_search_insert AFTER INSERT ON certificates BEGIN
  INSERT INTO certificate_search (rowid, subject, sans) VALUES (new.rowid, new.subject, new.sans);
END;
CREATE TRIGGER certificates_search_delete AFTER DELETE ON certificates BEGIN
  INSERT INTO certificate_search (certificate_search, rowid, subject, sans) VALUES ('delete', old.rowid, old.subject, old.sans);
END;
CREATE TRIGGER certificates_search_update AFTER UPDATE OF subject, sans ON certificates BEGIN
  INSERT INTO certificate_search (certificate_search, rowid, subject, sans) VALUES ('delete', old.rowid, old.subject, old.sans);
  INSERT INTO certificate_search (rowid, subject, sans) VALUES (new.rowid, new.subject, new.sans);
END;
`,
} as const;
