-- The reviewers' comments in the projection, as SQLite's migration 0015: a JSON array of
-- {"author", "at", "text"}, which exports read with the answers. The validator fills it for
-- what is stored.
ALTER TABLE submissions ADD COLUMN comments TEXT NOT NULL DEFAULT '[]';
INSERT INTO validation_queue (doc_id, seq)
    SELECT doc_id, last_seq FROM documents
    ON CONFLICT (doc_id) DO NOTHING;
