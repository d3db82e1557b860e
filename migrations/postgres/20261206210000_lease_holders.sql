-- Issue 14, item 5: two daemons never both push one outbox row. A claimed outbox row names the
-- daemon instance holding its lease (`lease_holder`, `host:pid:random`, made once per start);
-- marking it sent or failed needs that holder, and start-up only releases expired leases. Job
-- runs already name theirs (`jobs.worker`); finishing a run now needs it too.
ALTER TABLE outbox ADD COLUMN lease_holder TEXT;

-- Item 6: the pupil page reads that pupil's tasks only, and held records are pruned by age.
CREATE INDEX tasks_pupil ON tasks (pupil_id);
CREATE INDEX held_records_last_seen_at ON held_records (last_seen_at);
