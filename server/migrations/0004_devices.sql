-- Enrolments: a link (and its QR code) that a volunteer opens on a phone to enrol it for
-- one association. Only a hash of the link's secret is stored.
CREATE TABLE enrolments (
    id INTEGER PRIMARY KEY,
    code_sha256 BLOB NOT NULL UNIQUE,
    association TEXT NOT NULL,
    -- The form ids the enrolled devices receive, as a JSON array.
    forms TEXT NOT NULL,
    label TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    uses_left INTEGER NOT NULL,
    created_by INTEGER NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    revoked_at TEXT
) STRICT;

-- Enrolled devices. The credential is a bearer token; only its hash is stored.
CREATE TABLE devices (
    id TEXT PRIMARY KEY,
    credential_sha256 BLOB NOT NULL UNIQUE,
    association TEXT NOT NULL,
    forms TEXT NOT NULL,
    label TEXT NOT NULL,
    enrolment_id INTEGER REFERENCES enrolments (id),
    created_at TEXT NOT NULL,
    last_seen_at INTEGER,
    revoked_at TEXT
) STRICT;
CREATE INDEX devices_by_association ON devices (association);
