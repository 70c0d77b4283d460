/**
 * Batch issuance fills the full-text index in one statement after its rows instead of one trigger
 * run per row (about 40 % of the cost of storing a certificate). While the one-row table
 * certificate_search_deferred holds a row, the insert trigger stands aside; the batch adds that row,
 * inserts, indexes its rows and removes it inside its own transaction, so no other connection ever
 * sees it and a crash rolls it back with the rest. Every other writer is indexed by the trigger as before.
 */
export const certificateSearchBulk = {
  version: 10,
  name: 'certificate-search-bulk',
  sql: `
CREATE TABLE certificate_search_deferred (one INTEGER PRIMARY KEY CHECK (one = 1));
DROP TRIGGER certificates_search_insert;
CREATE TRIGGER certificates_search_insert AFTER INSERT ON certificates
WHEN NOT EXISTS (SELECT 1 FROM certificate_search_deferred) BEGIN
  INSERT INTO certificate_search (rowid, subject, sans) VALUES (new.rowid, new.subject, new.sans);
END;
`,
} as const;
