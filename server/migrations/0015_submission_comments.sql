-- The reviewers' comments in the projection, so that an export reads them with the answers
-- instead of loading every document: a JSON array of {"author", "at", "text"} (`at` in
-- milliseconds since the Unix epoch), in document order. The validator fills it for what is
-- stored.
ALTER TABLE submissions ADD COLUMN comments TEXT NOT NULL DEFAULT '[]';
INSERT INTO validation_queue (doc_id, seq)
    SELECT doc_id, last_seq FROM documents WHERE true
    ON CONFLICT (doc_id) DO NOTHING;
