-- Which pupils changed since a moment (`pupils_changed_since`, issue 17): the re-evaluation after
-- every sync asks it per school. Without these indexes each question scans every result, alias,
-- membership, plan, note and absence of the board (~80 ms per school on the simulated board,
-- even when nothing changed); with them it reads only the rows stamped after the moment.
CREATE INDEX memberships_updated_at ON memberships (updated_at);
-- A changed group plan names the members of its group: plan → group → memberships.
CREATE INDEX memberships_group ON memberships (group_id);
CREATE INDEX results_updated_at ON results (updated_at);
CREATE INDEX result_sources_created_at ON result_sources (created_at);
CREATE INDEX result_sources_deleted_at ON result_sources (deleted_at);
CREATE INDEX plans_updated_at ON plans (updated_at);
CREATE INDEX notes_updated_at ON notes (updated_at);
CREATE INDEX absences_updated_at ON absences (updated_at);
CREATE INDEX dyslexia_statements_updated_at ON dyslexia_statements (updated_at);
