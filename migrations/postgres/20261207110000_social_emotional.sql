-- Sociaal-emotionele metingen (issue 18 item 1): one pupil's category on one scale of ZIEN!,
-- KanVAS or the KiVa monitor at one date. No item answers, raw scores or remarks (data
-- minimisation). Deleted with the pupil (retention), soft-deleted by the source's tombstone.
CREATE TABLE social_emotional (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    pupil_id    BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    instrument  TEXT NOT NULL,
    scale       TEXT NOT NULL,
    measured_on DATE NOT NULL,
    category    SMALLINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX social_emotional_pupil ON social_emotional (pupil_id, measured_on);
-- pupils_changed_since reads only the rows stamped after the moment (as 20261207120000 for the others).
CREATE INDEX social_emotional_updated_at ON social_emotional (updated_at);
