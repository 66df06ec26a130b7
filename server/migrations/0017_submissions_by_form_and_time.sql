-- A page or an export of one form across its versions (`form=F` without `version=`) walks
-- this index in page order. Without it, SQLite read the form's rows through
-- `submissions_by_form`, in version order, and sorted them all for every page: an export of
-- 100,000 submissions sorted 100,000 rows for each batch of 500.
CREATE INDEX submissions_by_form_and_time ON submissions (form_id, created_at, doc_id);
