-- Submissions as the sync protocol stores them.

-- The sync epoch: a random number made when the database is created and made anew by a
-- restore, so that devices never trust a pull cursor from another history.
ALTER TABLE instance ADD COLUMN sync_epoch INTEGER NOT NULL DEFAULT 0;
UPDATE instance SET sync_epoch = abs(random()) WHERE id = 1;

-- One row per submission document: its automerge bytes, heads and who it belongs to.
CREATE TABLE documents (
    doc_id BLOB PRIMARY KEY CHECK (length(doc_id) = 16),
    creator TEXT NOT NULL,
    association TEXT,
    -- The whole automerge document (save()).
    bytes BLOB NOT NULL,
    -- Its heads: sorted 32-byte hashes, concatenated.
    heads BLOB NOT NULL,
    last_seq INTEGER NOT NULL
) STRICT;
CREATE INDEX documents_by_creator ON documents (creator);
CREATE INDEX documents_by_association ON documents (association);

-- The change log: what pulls read, in sequence order. Append-only.
CREATE TABLE change_log (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id BLOB NOT NULL REFERENCES documents (doc_id),
    origin TEXT NOT NULL,
    changes BLOB NOT NULL
) STRICT;
CREATE INDEX change_log_by_doc ON change_log (doc_id);
