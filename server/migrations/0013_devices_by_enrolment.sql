-- The devices an enrolment made, found without a scan: revoking a public link revokes
-- every browser it brought in, up to a million.
CREATE INDEX devices_by_enrolment ON devices (enrolment_id);
