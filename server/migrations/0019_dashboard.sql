-- The dashboard's one query (issue 19; store/dashboard.rs): every submission of a form that
-- counts (not withdrawn, not merged into another as a duplicate), read in one pass with the
-- answers it counts by. Found in the JSONB answers each time, those answers cost about 30 ms
-- per question per 100,000 submissions, seven questions, and the rows read are the
-- projection's whole rows (about 1.3 KB each, the search text included); this index holds
-- the answers' values, computed once when a projection is written, and every column the
-- query reads, so that the query reads it alone (the table's rows are never visited): 100,000
-- submissions read in about 30 ms instead of 300. By form, then association (a
-- coordinator's count is a range of it).
--
-- The expressions are the reference form's questions (`dashboard::REFERENCE_FIELDS`), and
-- the query writes them exactly so, which is what lets SQLite take their values from here.
CREATE INDEX submissions_dashboard ON submissions (
    form_id, association, created_at, review_status, complete, conflicts, form_version, doc_id,
    answers ->> '$."country"',
    answers ->> '$."region"',
    answers ->> '$."profession"',
    answers ->> '$."specialisation"',
    answers ->> '$."engagement"',
    answers ->> '$."months_available"',
    answers ->> '$."years_abroad"'
) WHERE withdrawn = 0 AND duplicate_of IS NULL;

-- Each submission's device (the dashboard counts by it), found by the submission's id in an
-- index that holds it: the documents' own rows are not read, which halves what the 100,000
-- look-ups cost.
CREATE INDEX documents_creator_by_id ON documents (doc_id, creator);
