-- A failed run of a job that does not come back soon (the weekly full reconcile, the daily roll
-- snapshot, retention and digest) is tried again a few times: it is queued again with the time
-- before which no claim takes it (`schedule.job_retries`, `schedule.job_retry_delay`).
ALTER TABLE jobs ADD COLUMN retry_at TEXT;
