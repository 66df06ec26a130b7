-- People registered twice (issue 19).
--
-- - `match_keys`: each validated submission's blocking keys (`letsema_match::blocking_keys`,
--   64-bit hashes of its phone, e-mail, name words and year of birth), written with its
--   projection; a new or changed submission is compared with those it shares a key with.
--   A withdrawn submission, or one without a name, has none.
-- - `duplicate_pairs`: the candidates found, each pair once (`first` < `second`, by id),
--   with its score and the explanation a reviewer reads, when it was found (milliseconds),
--   and a reviewer's decision: none yet (open), `different` ("not the same person",
--   remembered: never proposed again), or `merged`. An open pair that no longer scores as
--   one person after a change is deleted; a decided one stays.
--
-- - `submissions.duplicate_of`: the submission it was merged into as a duplicate
--   (`review/duplicate_of`); tables, exports and counts leave such submissions out unless
--   asked.
--
-- Both tables have rowids, which `letsema migrate` copies them by.
--
-- Every submission already stored is queued for validation again, which writes its keys
-- and finds its candidates.
CREATE TABLE match_keys (
    key INTEGER NOT NULL,
    doc_id BLOB NOT NULL REFERENCES documents (doc_id),
    PRIMARY KEY (key, doc_id)
) STRICT;
CREATE INDEX match_keys_by_doc ON match_keys (doc_id);

CREATE TABLE duplicate_pairs (
    first BLOB NOT NULL REFERENCES documents (doc_id),
    second BLOB NOT NULL REFERENCES documents (doc_id),
    score REAL NOT NULL,
    explanation TEXT NOT NULL,
    found_at INTEGER NOT NULL,
    decision TEXT CHECK (decision IN ('different', 'merged')),
    decided_by TEXT,
    decided_at INTEGER,
    PRIMARY KEY (first, second),
    CHECK (first < second)
) STRICT;
CREATE INDEX duplicate_pairs_by_second ON duplicate_pairs (second);
CREATE INDEX duplicate_pairs_by_time ON duplicate_pairs (found_at, first, second);

ALTER TABLE submissions ADD COLUMN duplicate_of BLOB;

INSERT OR IGNORE INTO validation_queue (doc_id, seq)
    SELECT doc_id, last_seq FROM documents;
