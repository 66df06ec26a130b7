-- Storing each submission once where it was stored twice.
--
-- `documents.bytes` may now be empty (zero bytes, never a document): the document is then
-- exactly the change chunks of its change log entry at `last_seq`. A document's first push
-- is stored that way, once, in `change_log`; a later commit stores the saved document
-- again. Rows written before keep their bytes: both forms load.
--
-- The `submissions` projection without what `documents` already holds or nothing reads: a
-- submission's creator and association are its document's (`documents`, indexed there), the
-- indexes by form and by association served no query, `validated_at` becomes Unix
-- seconds, and the answers are kept as SQLite's binary JSON (JSONB: about an eighth
-- smaller; `json(answers)` gives the text, and the JSON functions read it as they read
-- text). Every row is copied: nothing needs validating again.
CREATE TABLE submissions_compact (
    doc_id BLOB PRIMARY KEY REFERENCES documents (doc_id),
    form_id TEXT NOT NULL,
    form_version TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    review_status TEXT NOT NULL,
    withdrawn INTEGER NOT NULL,
    instance_name TEXT,
    -- The answers as the document holds them, JSONB.
    answers BLOB NOT NULL,
    -- Whether the form engine finds nothing missing and nothing invalid.
    complete INTEGER NOT NULL,
    -- What it found (missing required answers, constraint violations), JSON.
    issues TEXT NOT NULL,
    -- The document's `last_seq` this projection was made from.
    validated_seq INTEGER NOT NULL,
    -- When, in Unix seconds.
    validated_at INTEGER NOT NULL
) STRICT;

INSERT INTO submissions_compact (doc_id, form_id, form_version, created_at, review_status,
        withdrawn, instance_name, answers, complete, issues, validated_seq, validated_at)
    SELECT doc_id, form_id, form_version, created_at, review_status, withdrawn,
        instance_name, jsonb(answers), complete, issues, validated_seq,
        COALESCE(unixepoch(validated_at), 0)
    FROM submissions;

DROP TABLE submissions;
ALTER TABLE submissions_compact RENAME TO submissions;
