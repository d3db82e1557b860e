-- Verzuim (issue 18 item 2): one registered absence of a pupil on one day, with the hours missed
-- and its kind (sick, authorised, unauthorised). No reason text, no remark (data minimisation).
-- Deleted with the pupil (retention), soft-deleted by the source's tombstone.
CREATE TABLE absences (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    pupil_id    INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    absent_on   TEXT NOT NULL,
    hours       REAL NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX absences_pupil ON absences (pupil_id, absent_on);
