-- Which pupils of one school changed since a moment (`pupil_changes_since`, issue 17, session 12).
-- The change-stamp indexes of 20261207120000 were global: each school's question read every
-- school's rows stamped since the moment and threw away those of other schools (on the simulated
-- board of ten schools nine tenths of what it read; on a board of a thousand schools, the whole
-- board's last half hour for each school's evaluation after every sync). Per school, it reads only
-- its own. Every record's school is its pupil's school: the page apply, the held records and the
-- import resolve pupils within the record's school.
DROP INDEX results_updated_at;
DROP INDEX result_sources_created_at;
DROP INDEX result_sources_deleted_at;
DROP INDEX plans_updated_at;
DROP INDEX notes_updated_at;
DROP INDEX absences_updated_at;
DROP INDEX dyslexia_statements_updated_at;
DROP INDEX social_emotional_updated_at;
CREATE INDEX pupils_school_updated_at ON pupils (school, updated_at);
CREATE INDEX results_school_updated_at ON results (school, updated_at);
CREATE INDEX result_sources_school_created_at ON result_sources (school, created_at);
CREATE INDEX result_sources_school_deleted_at ON result_sources (school, deleted_at);
CREATE INDEX plans_school_updated_at ON plans (school, updated_at);
CREATE INDEX notes_school_updated_at ON notes (school, updated_at);
CREATE INDEX absences_school_updated_at ON absences (school, updated_at);
CREATE INDEX dyslexia_statements_school_updated_at ON dyslexia_statements (school, updated_at);
CREATE INDEX social_emotional_school_updated_at ON social_emotional (school, updated_at);
