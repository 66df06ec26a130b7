-- Staff accounts, their sessions, failed logins and the audit log.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'coordinator')),
    -- An argon2id PHC string.
    password_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    disabled_at TEXT
) STRICT;

-- A reviewer may be limited to some associations (none listed: all); a coordinator
-- belongs to exactly one.
CREATE TABLE user_associations (
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    association TEXT NOT NULL,
    PRIMARY KEY (user_id, association)
) STRICT;

-- Only a hash of each session token is stored: a copy of the database opens no session.
CREATE TABLE sessions (
    token_sha256 BLOB PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    csrf_token TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_by_user ON sessions (user_id);

-- Failed logins per e-mail address, to slow down password guessing.
CREATE TABLE login_failures (
    email TEXT PRIMARY KEY COLLATE NOCASE,
    failures INTEGER NOT NULL,
    last_failure_at INTEGER NOT NULL
) STRICT;

-- Who did what. Never holds personal data of diaspora members, only ids.
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    detail TEXT NOT NULL
) STRICT;
