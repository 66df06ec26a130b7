-- The queryable projection of each submission: its current values and the form engine's
-- verdict on them. Rebuilt from `documents` by the validator whenever a document changes
-- (documents.last_seq > submissions.validated_seq): the automerge document stays the truth.
CREATE TABLE submissions (
    doc_id BLOB PRIMARY KEY REFERENCES documents (doc_id),
    form_id TEXT NOT NULL,
    form_version TEXT NOT NULL,
    creator TEXT NOT NULL,
    association TEXT,
    created_at INTEGER NOT NULL,
    review_status TEXT NOT NULL,
    withdrawn INTEGER NOT NULL,
    instance_name TEXT,
    -- The answers as the document holds them, JSON.
    answers TEXT NOT NULL,
    -- Whether the form engine finds nothing missing and nothing invalid.
    complete INTEGER NOT NULL,
    -- What it found (missing required answers, constraint violations), JSON.
    issues TEXT NOT NULL,
    validated_seq INTEGER NOT NULL,
    validated_at TEXT NOT NULL
) STRICT;
CREATE INDEX submissions_by_form ON submissions (form_id, form_version);
CREATE INDEX submissions_by_association ON submissions (association);
