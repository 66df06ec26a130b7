-- As SQLite's migration 0018: blocking keys, duplicate candidates and their decisions, the
-- submission a duplicate was merged into, and every stored submission queued for validation
-- again.
CREATE TABLE match_keys (
    key BIGINT NOT NULL,
    doc_id BYTEA NOT NULL REFERENCES documents (doc_id),
    PRIMARY KEY (key, doc_id)
);
CREATE INDEX match_keys_by_doc ON match_keys (doc_id);

CREATE TABLE duplicate_pairs (
    first BYTEA NOT NULL REFERENCES documents (doc_id),
    second BYTEA NOT NULL REFERENCES documents (doc_id),
    score DOUBLE PRECISION NOT NULL,
    explanation TEXT NOT NULL,
    found_at BIGINT NOT NULL,
    decision TEXT CHECK (decision IN ('different', 'merged')),
    decided_by TEXT,
    decided_at BIGINT,
    PRIMARY KEY (first, second),
    CHECK (first < second)
);
CREATE INDEX duplicate_pairs_by_second ON duplicate_pairs (second);
CREATE INDEX duplicate_pairs_by_time ON duplicate_pairs (found_at, first, second);

ALTER TABLE submissions ADD COLUMN duplicate_of BYTEA;

INSERT INTO validation_queue (doc_id, seq)
    SELECT doc_id, last_seq FROM documents
    ON CONFLICT (doc_id) DO NOTHING;
