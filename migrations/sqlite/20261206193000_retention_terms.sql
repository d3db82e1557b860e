-- Issue 14 (items 10-12): every pupil is covered by the retention rule, quarantine keeps only a
-- record's shape, the deletion log is keyed.

-- The last day a source (GKV snapshot, OSO/CSV import) delivered the pupil: without a leaving
-- date, retention counts from here.
ALTER TABLE pupils ADD COLUMN last_seen_on TEXT;
UPDATE pupils SET last_seen_on = COALESCE(left_on, substr(updated_at, 1, 10));
CREATE INDEX pupils_last_seen_on ON pupils (last_seen_on);

-- Quarantine rows held whole records (care-note text included); only the shape is kept from now
-- on, and the content of existing rows goes.
UPDATE quarantine SET raw = '"(content removed: only the shape of a record is kept)"';

-- Deletion-log hashes were unkeyed SHA-256 (reversible by trying every id): removed. New rows
-- carry an HMAC with the board's pseudonymisation key.
UPDATE deletion_log SET pupil_hash = '';

CREATE INDEX jobs_finished_at ON jobs (finished_at);
CREATE INDEX mail_log_sent_at ON mail_log (sent_at);
