-- An e-mail address is one account whatever its ASCII case, and only its ASCII case, as in
-- SQLite (`COLLATE NOCASE` folds A-Z alone). `lower()` under the database's own collation
-- folds every script (`É` to `é`), so an address two accounts could share on SQLite was one
-- account here; under the "C" collation `lower()` folds A-Z alone. Queries compare
-- `lower(email COLLATE "C")` to match this index. Failure counts are keyed the same way;
-- they are forgotten after 15 minutes, so those kept under the old folding are dropped.
DROP INDEX users_by_email;
CREATE UNIQUE INDEX users_by_email ON users (lower(email COLLATE "C"));
DELETE FROM login_failures;

-- The devices an enrolment made, found without a scan: revoking a public link revokes
-- every browser it brought in, up to a million.
CREATE INDEX devices_by_enrolment ON devices (enrolment_id);
