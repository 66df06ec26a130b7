-- The dashboard's one query (issue 19; store/dashboard.rs): every submission of a form that
-- counts (not withdrawn, not merged into another as a duplicate), read in one pass with the
-- answers it counts by and the device that captured it.
--
-- - `submissions.creator`: the device that created the document (its `documents.creator`,
--   which never changes), written with the projection as `association` is, so that the
--   dashboard counts by device without looking up 100,000 documents.
-- - `submissions_dashboard`: found in the JSONB answers each time, the answers counted cost
--   about 30 ms per question per 100,000 submissions (seven questions), and the rows read
--   are the projection's whole rows (about 1.3 KB each, the search text included). This
--   index holds the answers' values, computed once when a projection is written, and every
--   column the query reads, so that the query reads it alone (the table's rows are never
--   visited). By form, then association (a coordinator's count is a range of it). The
--   expressions are the reference form's questions (`dashboard::REFERENCE_FIELDS`), and the
--   query writes them exactly so, which is what lets SQLite take their values from here.
ALTER TABLE submissions ADD COLUMN creator TEXT;
UPDATE submissions
    SET creator = (SELECT d.creator FROM documents d WHERE d.doc_id = submissions.doc_id);

CREATE INDEX submissions_dashboard ON submissions (
    form_id, association, created_at, review_status, complete, conflicts, form_version, creator,
    answers ->> '$."country"',
    answers ->> '$."region"',
    answers ->> '$."profession"',
    answers ->> '$."specialisation"',
    answers ->> '$."engagement"',
    answers ->> '$."months_available"',
    answers ->> '$."years_abroad"'
) WHERE withdrawn = 0 AND duplicate_of IS NULL;
