-- The staff's table of submissions, as SQLite's migration 0014 (see it for what each part
-- holds): the same columns and indexes, the text search as a `tsvector` made from `search`
-- with the `simple` configuration (the text is folded before it is stored, the same way for
-- both backends) and a GIN index.
ALTER TABLE submissions
    ADD COLUMN association TEXT,
    ADD COLUMN conflicts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN search TEXT NOT NULL DEFAULT '',
    ADD COLUMN choices JSONB NOT NULL DEFAULT '[]',
    ADD COLUMN search_vector TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', search)) STORED;
UPDATE submissions s SET association = d.association FROM documents d WHERE d.doc_id = s.doc_id;

CREATE INDEX submissions_by_created ON submissions (created_at, doc_id);
CREATE INDEX submissions_by_association ON submissions (association, created_at, doc_id);
CREATE INDEX submissions_by_status ON submissions (review_status, created_at, doc_id);
CREATE INDEX submissions_by_form ON submissions (form_id, form_version, created_at, doc_id);
CREATE INDEX submissions_with_issues ON submissions (created_at, doc_id) WHERE NOT complete;
CREATE INDEX submissions_with_conflicts ON submissions (created_at, doc_id) WHERE conflicts > 0;
CREATE INDEX submissions_search ON submissions USING gin (search_vector);

CREATE TABLE submission_choices (
    field TEXT NOT NULL,
    value TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    doc_id BYTEA NOT NULL REFERENCES documents (doc_id),
    PRIMARY KEY (field, value, created_at, doc_id)
);
CREATE FUNCTION submission_choices_follow() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        -- The old rows by their key, from the old choices: no second index.
        DELETE FROM submission_choices
            WHERE (field, value, created_at, doc_id) IN (
                SELECT c ->> 0, c ->> 1, OLD.created_at, OLD.doc_id
                FROM jsonb_array_elements(OLD.choices) c);
    END IF;
    INSERT INTO submission_choices (field, value, created_at, doc_id)
        SELECT c ->> 0, c ->> 1, NEW.created_at, NEW.doc_id
        FROM jsonb_array_elements(NEW.choices) c
        ON CONFLICT DO NOTHING;
    RETURN NULL;
END
$$;
CREATE TRIGGER submission_choices_after_write AFTER INSERT OR UPDATE OF choices, created_at
    ON submissions FOR EACH ROW EXECUTE FUNCTION submission_choices_follow();

-- Every projection is made again by the validator, which fills these for what is stored.
INSERT INTO validation_queue (doc_id, seq)
    SELECT doc_id, last_seq FROM documents
    ON CONFLICT (doc_id) DO NOTHING;
