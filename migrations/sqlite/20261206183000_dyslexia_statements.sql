-- Dyslexieverklaringen (issue 16): only the fact and its date, per source record, so a source can
-- withdraw its own (tombstone) without touching another's. Nothing else of a diagnosis is stored.
CREATE TABLE dyslexia_statements (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    pupil_id    INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    stated_on   TEXT,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX dyslexia_statements_pupil ON dyslexia_statements (pupil_id);
