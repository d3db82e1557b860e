-- Verzuim (issue 18 item 2): one registered absence of a pupil on one day, with the hours missed
-- and its kind (sick, authorised, unauthorised). No reason text, no remark (data minimisation).
-- Deleted with the pupil (retention), soft-deleted by the source's tombstone.
CREATE TABLE absences (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    pupil_id    BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    absent_on   DATE NOT NULL,
    hours       DOUBLE PRECISION NOT NULL,
    kind        TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX absences_pupil ON absences (pupil_id, absent_on);
