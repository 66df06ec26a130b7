-- Associations' display names ("Maseru Nurses' Association"), shown instead of their codes
-- (`maseru-nurses`). A code is used without a row here (staff accounts, enrolments,
-- devices and submissions name it as text); a row exists once staff have named it.
CREATE TABLE associations (
    code TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
