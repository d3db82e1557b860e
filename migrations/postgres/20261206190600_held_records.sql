-- Records of a pupil the store does not know yet (not in the school's GKV snapshot): held, in
-- normalised form, until the pupil appears, then applied and deleted (issue 14, item 1).
CREATE TABLE held_records (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source            TEXT NOT NULL,
    school            TEXT NOT NULL,
    stream            TEXT NOT NULL,
    kind              TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    pupil_external_id TEXT NOT NULL,
    record            TEXT NOT NULL,
    first_held_at     TIMESTAMPTZ NOT NULL,
    last_seen_at      TIMESTAMPTZ NOT NULL,
    UNIQUE (source, school, kind, external_id)
);
CREATE INDEX held_records_pupil ON held_records (school, pupil_external_id);
