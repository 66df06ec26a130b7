-- As SQLite's migration 0017: one form across its versions, in page order.
CREATE INDEX submissions_by_form_and_time ON submissions (form_id, created_at, doc_id);
