-- Sociaal-emotionele metingen (issue 18 item 1): one pupil's category on one scale of ZIEN!,
-- KanVAS or the KiVa monitor at one date. No item answers, raw scores or remarks (data
-- minimisation). Deleted with the pupil (retention), soft-deleted by the source's tombstone.
CREATE TABLE social_emotional (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    pupil_id    INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    instrument  TEXT NOT NULL,
    scale       TEXT NOT NULL,
    measured_on TEXT NOT NULL,
    category    INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX social_emotional_pupil ON social_emotional (pupil_id, measured_on);
-- pupils_changed_since reads only the rows stamped after the moment (as 20261207120000 for the others).
CREATE INDEX social_emotional_updated_at ON social_emotional (updated_at);
