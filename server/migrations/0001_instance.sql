-- The database's own identity.
CREATE TABLE instance (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    created_at TEXT NOT NULL
) STRICT;
INSERT INTO instance (id, created_at) VALUES (1, strftime('%Y-%m-%dT%H:%M:%SZ', 'now'));
