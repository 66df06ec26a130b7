-- As SQLite's migration 0016: each audit entry's network address (NULL for commands run on
-- the server, and for older entries), and an audit log the database refuses to change.
ALTER TABLE audit_log ADD COLUMN address TEXT;
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log cannot be changed';
END
$$;
CREATE TRIGGER audit_log_is_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_is_append_only_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();
CREATE INDEX audit_log_by_action ON audit_log (action, id);
