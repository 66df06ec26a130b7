-- Replacing a lost phone: an enrolment may name the device it replaces. The phone that
-- opens it becomes that device (same id, a new credential; the old credential stops
-- working), so it receives the device's submissions and may send the changes a restored
-- backup holds, which carry that device's id.
ALTER TABLE enrolments ADD COLUMN replaces TEXT REFERENCES devices (id);
