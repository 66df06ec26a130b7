-- The dashboard's one query (issue 19; store/dashboard.rs): every submission of a form that
-- counts (not withdrawn, not merged into another as a duplicate), read in one pass with the
-- answers it counts by. The answers (JSONB) are mostly stored out of line (TOAST) beside
-- the search text and vector, so that each `answers ->> 'q'` fetched and decompressed them
-- again: 1.3 s for 100,000 submissions. The seven answers counted (the reference form's
-- questions, `dashboard::REFERENCE_FIELDS`) are kept as generated columns, computed when a
-- projection is written, and an index holds them with every column the query reads, so that
-- the query is an index-only scan: about 30 ms for 100,000 submissions. By form, then
-- association (a coordinator's count is a range of it).
--
-- `submissions.creator` is the device that created the document (its `documents.creator`,
-- which never changes), written with the projection as `association` is (and by `letsema
-- migrate`'s copy), so that the dashboard counts by device from the index alone.
--
-- Adding the columns rewrites the table once (about 10 s per 100,000 submissions).
ALTER TABLE submissions
    ADD COLUMN answer_country TEXT GENERATED ALWAYS AS (answers ->> 'country') STORED,
    ADD COLUMN answer_region TEXT GENERATED ALWAYS AS (answers ->> 'region') STORED,
    ADD COLUMN answer_profession TEXT GENERATED ALWAYS AS (answers ->> 'profession') STORED,
    ADD COLUMN answer_specialisation TEXT
        GENERATED ALWAYS AS (answers ->> 'specialisation') STORED,
    ADD COLUMN answer_engagement TEXT GENERATED ALWAYS AS (answers ->> 'engagement') STORED,
    ADD COLUMN answer_months_available TEXT
        GENERATED ALWAYS AS (answers ->> 'months_available') STORED,
    ADD COLUMN answer_years_abroad TEXT GENERATED ALWAYS AS (answers ->> 'years_abroad') STORED,
    ADD COLUMN creator TEXT;
UPDATE submissions s SET creator = d.creator FROM documents d WHERE d.doc_id = s.doc_id;

CREATE INDEX submissions_dashboard ON submissions (form_id, association, created_at)
    INCLUDE (review_status, complete, conflicts, form_version, creator, answer_country,
        answer_region, answer_profession, answer_specialisation, answer_engagement,
        answer_months_available, answer_years_abroad)
    WHERE NOT withdrawn AND duplicate_of IS NULL;
