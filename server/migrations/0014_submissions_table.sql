-- The staff's table of submissions: what its filters, its text search and its pages need,
-- each served by an index, so that a page costs what it reads and never a scan of every
-- submission. A page is ordered by creation time and id (keyset pagination), under any of
-- these filters.
--
-- - `association` is the document's (as in `documents`), kept here too so that a filter by
--   association walks one index in page order.
-- - `conflicts`: how many fields hold concurrent values, unresolved.
-- - `search`: what a submission is found by (its name and text answers, folded: see
--   store/submissions.rs), indexed by FTS5 (`submission_search`, whose content is this
--   column: the text is stored once).
-- - `choices`: the answers of the form's select questions outside repeats (country of
--   residence, profession), a JSON array of [question, value] pairs; triggers keep
--   `submission_choices` (one row per value, in page order per value) made from it, so that
--   the rows follow the projection whoever writes it (the validator, or `letsema migrate`
--   into PostgreSQL, whose migration 0003 has the same triggers).
ALTER TABLE submissions ADD COLUMN association TEXT;
ALTER TABLE submissions ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE submissions ADD COLUMN search TEXT NOT NULL DEFAULT '';
ALTER TABLE submissions ADD COLUMN choices TEXT NOT NULL DEFAULT '[]';
UPDATE submissions
    SET association = (SELECT d.association FROM documents d WHERE d.doc_id = submissions.doc_id);

CREATE INDEX submissions_by_created ON submissions (created_at, doc_id);
CREATE INDEX submissions_by_association ON submissions (association, created_at, doc_id);
CREATE INDEX submissions_by_status ON submissions (review_status, created_at, doc_id);
CREATE INDEX submissions_by_form ON submissions (form_id, form_version, created_at, doc_id);
CREATE INDEX submissions_with_issues ON submissions (created_at, doc_id) WHERE complete = 0;
CREATE INDEX submissions_with_conflicts ON submissions (created_at, doc_id) WHERE conflicts > 0;

CREATE TABLE submission_choices (
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc_id BLOB NOT NULL REFERENCES documents (doc_id),
    PRIMARY KEY (field, value, created_at, doc_id)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER submission_choices_after_insert AFTER INSERT ON submissions BEGIN
    INSERT OR IGNORE INTO submission_choices (field, value, created_at, doc_id)
        SELECT c.value ->> 0, c.value ->> 1, new.created_at, new.doc_id
        FROM json_each(new.choices) c;
END;
-- The old rows are found by their key, from the old choices: no second index.
CREATE TRIGGER submission_choices_after_update AFTER UPDATE OF choices, created_at
ON submissions BEGIN
    DELETE FROM submission_choices
        WHERE (field, value, created_at, doc_id) IN (
            SELECT c.value ->> 0, c.value ->> 1, old.created_at, old.doc_id
            FROM json_each(old.choices) c);
    INSERT OR IGNORE INTO submission_choices (field, value, created_at, doc_id)
        SELECT c.value ->> 0, c.value ->> 1, new.created_at, new.doc_id
        FROM json_each(new.choices) c;
END;

CREATE VIRTUAL TABLE submission_search USING fts5(
    search,
    content = 'submissions',
    content_rowid = 'rowid',
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 4'
);
CREATE TRIGGER submission_search_after_insert AFTER INSERT ON submissions BEGIN
    INSERT INTO submission_search (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER submission_search_after_update AFTER UPDATE OF search ON submissions BEGIN
    INSERT INTO submission_search (submission_search, rowid, search)
        VALUES ('delete', old.rowid, old.search);
    INSERT INTO submission_search (rowid, search) VALUES (new.rowid, new.search);
END;
CREATE TRIGGER submission_search_after_delete AFTER DELETE ON submissions BEGIN
    INSERT INTO submission_search (submission_search, rowid, search)
        VALUES ('delete', old.rowid, old.search);
END;
INSERT INTO submission_search (submission_search) VALUES ('rebuild');

-- Every projection is made again by the validator, which fills these for what is stored.
INSERT INTO validation_queue (doc_id, seq)
    SELECT doc_id, last_seq FROM documents WHERE true
    ON CONFLICT (doc_id) DO NOTHING;
