-- Published forms. A (form_id, version) pair is immutable once published: a changed form
-- needs a new version, so that every submission names exactly the form it answered.
CREATE TABLE form_versions (
    form_id TEXT NOT NULL,
    version TEXT NOT NULL,
    title TEXT NOT NULL,
    -- The imported definition (letsema_form::model::Form) as JSON.
    definition TEXT NOT NULL,
    -- The uploaded XLSForm, kept so that what was published can always be downloaded.
    source_name TEXT NOT NULL,
    source BLOB NOT NULL,
    source_sha256 TEXT NOT NULL,
    published_at TEXT NOT NULL,
    published_by TEXT NOT NULL,
    PRIMARY KEY (form_id, version)
) STRICT;
