-- A scope's documents by their last change: a pull reads only the documents of its scope
-- changed after its cursor (`last_seq > cursor`), not every document of the scope. A no-op
-- sync is then one index seek, however many documents the phone or the association holds.
DROP INDEX documents_by_creator;
CREATE INDEX documents_by_creator ON documents (creator, last_seq);
DROP INDEX documents_by_association;
CREATE INDEX documents_by_association ON documents (association, last_seq);
