-- Initial schema (PostgreSQL). Timestamps are TIMESTAMPTZ (UTC), dates DATE, JSON is text (as on SQLite).
-- Keep in step with migrations/sqlite/ (same file names; a unit test checks).

CREATE TABLE schools (
    brin        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    care_ladder TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE groups (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    school_year BIGINT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX groups_school_external ON groups (school, external_id);

CREATE TABLE pupils (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           TEXT NOT NULL,
    school           TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    national_id_hash TEXT,
    given_name       TEXT NOT NULL,
    surname_prefix   TEXT,
    surname          TEXT NOT NULL,
    birth_date       DATE,
    left_on          DATE,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX pupils_school_external ON pupils (school, external_id);
CREATE INDEX pupils_left_on ON pupils (left_on);

CREATE TABLE memberships (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pupil_id   BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    group_id   BIGINT NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    grade      BIGINT NOT NULL,
    from_on    DATE NOT NULL,
    to_on      DATE,
    created_at TIMESTAMPTZ NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    UNIQUE (pupil_id, group_id, from_on)
);

CREATE TABLE tests (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    provider      TEXT,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE results (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source           TEXT NOT NULL,
    school           TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    pupil_id         BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    content_key      TEXT NOT NULL,
    test_code        TEXT NOT NULL,
    part_code        TEXT,
    test_name        TEXT NOT NULL,
    provider         TEXT,
    taken_on         DATE NOT NULL,
    stated_moment    TEXT,
    raw_score        DOUBLE PRECISION,
    ability_value    DOUBLE PRECISION,
    ability_scale    TEXT,
    reference_scores TEXT NOT NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    deleted_at       TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX results_content_key ON results (content_key);
CREATE INDEX results_pupil ON results (pupil_id);

-- Every (source, school, external_id) that names a result: the first-seen one and its aliases.
CREATE TABLE result_sources (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    result_id   BIGINT NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at  TIMESTAMPTZ NOT NULL,
    deleted_at  TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX result_sources_result ON result_sources (result_id);

CREATE TABLE notes (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source            TEXT NOT NULL,
    school            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    pupil_id          BIGINT REFERENCES pupils (id) ON DELETE CASCADE,
    group_external_id TEXT,
    category_path     TEXT NOT NULL,
    written_at        TIMESTAMPTZ NOT NULL,
    content           TEXT NOT NULL,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    deleted_at        TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX notes_pupil ON notes (pupil_id);

CREATE TABLE plans (
    id                BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source            TEXT NOT NULL,
    school            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    pupil_id          BIGINT REFERENCES pupils (id) ON DELETE CASCADE,
    group_external_id TEXT,
    kind              TEXT NOT NULL,
    domain            TEXT,
    title             TEXT NOT NULL,
    owner             TEXT,
    care_level        TEXT,
    start_on          DATE NOT NULL,
    end_on            DATE,
    evaluation_due    DATE,
    minutes_per_week  BIGINT,
    created_at        TIMESTAMPTZ NOT NULL,
    updated_at        TIMESTAMPTZ NOT NULL,
    deleted_at        TIMESTAMPTZ,
    UNIQUE (source, school, external_id)
);
CREATE INDEX plans_pupil ON plans (pupil_id);
CREATE INDEX plans_group ON plans (school, group_external_id);

CREATE TABLE evaluations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    plan_id      BIGINT NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    evaluated_on DATE NOT NULL,
    outcome      TEXT NOT NULL
);
CREATE INDEX evaluations_plan ON evaluations (plan_id);

CREATE TABLE signals (
    id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key              TEXT NOT NULL UNIQUE,
    rule             TEXT NOT NULL,
    rule_version     BIGINT NOT NULL,
    school           TEXT NOT NULL,
    pupil_id         BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    domain           TEXT,
    severity         TEXT NOT NULL,
    status           TEXT NOT NULL,
    opened_on        DATE NOT NULL,
    explanation      TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    eed_criterion    TEXT,
    snoozed_until    DATE,
    dismissed_reason TEXT,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL
);
CREATE INDEX signals_school_status ON signals (school, status);
CREATE INDEX signals_pupil ON signals (pupil_id);

CREATE TABLE signal_events (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    signal_id   BIGINT NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    at          TIMESTAMPTZ NOT NULL,
    kind        TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    reason      TEXT,
    actor       TEXT,
    evidence    TEXT
);
CREATE INDEX signal_events_signal ON signal_events (signal_id);

CREATE TABLE tasks (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    key        TEXT NOT NULL UNIQUE,
    signal_key TEXT,
    kind       TEXT NOT NULL,
    school     TEXT NOT NULL,
    pupil_id   BIGINT NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    target     TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    due_on     DATE,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE outbox (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    task_id         BIGINT NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    attempts        BIGINT NOT NULL,
    next_attempt_at TIMESTAMPTZ NOT NULL,
    lease_until     TIMESTAMPTZ,
    last_error      TEXT,
    remote_id       TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    updated_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX outbox_status_next ON outbox (status, next_attempt_at);

CREATE TABLE sync_cursors (
    source               TEXT NOT NULL,
    school               TEXT NOT NULL,
    stream               TEXT NOT NULL,
    cursor               TEXT,
    last_success_at      TIMESTAMPTZ,
    last_error           TEXT,
    last_error_at        TIMESTAMPTZ,
    consecutive_failures BIGINT NOT NULL,
    records              BIGINT NOT NULL,
    quarantined          BIGINT NOT NULL,
    updated_at           TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source, school, stream)
);

CREATE TABLE quarantine (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    source        TEXT NOT NULL,
    school        TEXT NOT NULL,
    stream        TEXT NOT NULL,
    external_id   TEXT,
    raw           TEXT NOT NULL,
    reason        TEXT NOT NULL,
    first_seen_at TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    seen_count    BIGINT NOT NULL,
    UNIQUE (source, school, stream, external_id)
);

CREATE TABLE audit_log (
    id      BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    school  TEXT,
    subject TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE mail_log (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sent_at      TIMESTAMPTZ NOT NULL,
    recipient    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    school       TEXT,
    subject_hash TEXT NOT NULL
);
CREATE INDEX mail_log_recipient ON mail_log (recipient, sent_at);

CREATE TABLE jobs (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    job          TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL,
    status       TEXT NOT NULL,
    worker       TEXT,
    attempts     BIGINT NOT NULL,
    lease_until  TIMESTAMPTZ,
    started_at   TIMESTAMPTZ,
    finished_at  TIMESTAMPTZ,
    error        TEXT,
    created_at   TIMESTAMPTZ NOT NULL,
    UNIQUE (job, scheduled_at)
);
CREATE INDEX jobs_status ON jobs (status, scheduled_at);

CREATE TABLE deletion_log (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    pupil_hash TEXT NOT NULL,
    school     TEXT NOT NULL,
    left_on    DATE NOT NULL,
    deleted_at TIMESTAMPTZ NOT NULL
);
