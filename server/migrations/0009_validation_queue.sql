-- The validation queue: one row per document whose `submissions` projection is missing or
-- older than the document, with the `last_seq` it must be validated at. A sync commit
-- upserts a document's row in the same transaction as the document; the validator picks the
-- oldest rows (by `seq`) and deletes a row only if its `seq` is still the one it validated.
-- So finding and counting pending work costs what is pending, not what is stored.
CREATE TABLE validation_queue (
    doc_id BLOB PRIMARY KEY REFERENCES documents (doc_id),
    seq INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX validation_queue_by_seq ON validation_queue (seq);

-- What was pending before the queue existed: documents never validated, or changed since.
INSERT INTO validation_queue (doc_id, seq)
    SELECT d.doc_id, d.last_seq FROM documents d
    LEFT JOIN submissions s ON s.doc_id = d.doc_id
    WHERE s.doc_id IS NULL OR s.validated_seq < d.last_seq;
