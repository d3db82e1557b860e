-- Dyslexieverklaringen (issue 16): only the fact and its date, per source record, so a source can
-- withdraw its own (tombstone) without touching another's. Nothing else of a diagnosis is stored.
CREATE TABLE dyslexia_statements (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    pupil_id    BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    stated_on   DATE,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX dyslexia_statements_pupil ON dyslexia_statements (pupil_id);
