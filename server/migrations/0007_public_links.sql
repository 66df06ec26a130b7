-- Public links: an enrolment that anonymous survey takers open to fill in one form. Each
-- browser that opens it becomes a device of the link's own association (`public-<id>`), so
-- its submissions land in their own scope; the link has no use limit, only an expiry,
-- and joins are rate-limited per address.
ALTER TABLE enrolments ADD COLUMN public INTEGER NOT NULL DEFAULT 0 CHECK (public IN (0, 1));
