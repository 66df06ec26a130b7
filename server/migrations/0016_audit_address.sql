-- The audit log records from which network address each action came (NULL for commands
-- run on the server itself, and for entries written before this migration), and it cannot
-- be changed: no route edits it, and the database refuses to.
ALTER TABLE audit_log ADD COLUMN address TEXT;
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log cannot be changed');
END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log BEGIN
    SELECT RAISE(ABORT, 'the audit log cannot be changed');
END;
-- Admins read the log newest first, of one kind of action (`letsema audit --action export`).
CREATE INDEX audit_log_by_action ON audit_log (action, id);
