-- Initial schema (SQLite). Timestamps are UTC RFC 3339 text, dates are YYYY-MM-DD text, JSON is text.
-- Keep in step with migrations/postgres/ (same file names; a unit test checks).

CREATE TABLE schools (
    brin        TEXT PRIMARY KEY NOT NULL,
    name        TEXT NOT NULL,
    care_ladder TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

CREATE TABLE groups (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    name        TEXT NOT NULL,
    school_year INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX groups_school_external ON groups (school, external_id);

CREATE TABLE pupils (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    source           TEXT NOT NULL,
    school           TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    national_id_hash TEXT,
    given_name       TEXT NOT NULL,
    surname_prefix   TEXT,
    surname          TEXT NOT NULL,
    birth_date       TEXT,
    left_on          TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX pupils_school_external ON pupils (school, external_id);
CREATE INDEX pupils_left_on ON pupils (left_on);

CREATE TABLE memberships (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pupil_id   INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
    grade      INTEGER NOT NULL,
    from_on    TEXT NOT NULL,
    to_on      TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    UNIQUE (pupil_id, group_id, from_on)
);

CREATE TABLE tests (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    code          TEXT NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    provider      TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL
);

CREATE TABLE results (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    source           TEXT NOT NULL,
    school           TEXT NOT NULL,
    external_id      TEXT NOT NULL,
    pupil_id         INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    content_key      TEXT NOT NULL,
    test_code        TEXT NOT NULL,
    part_code        TEXT,
    test_name        TEXT NOT NULL,
    provider         TEXT,
    taken_on         TEXT NOT NULL,
    stated_moment    TEXT,
    raw_score        REAL,
    ability_value    REAL,
    ability_scale    TEXT,
    reference_scores TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL,
    deleted_at       TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX results_content_key ON results (content_key);
CREATE INDEX results_pupil ON results (pupil_id);

-- Every (source, school, external_id) that names a result: the first-seen one and its aliases.
CREATE TABLE result_sources (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    result_id   INTEGER NOT NULL REFERENCES results (id) ON DELETE CASCADE,
    source      TEXT NOT NULL,
    school      TEXT NOT NULL,
    external_id TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    deleted_at  TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX result_sources_result ON result_sources (result_id);

CREATE TABLE notes (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    source            TEXT NOT NULL,
    school            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    pupil_id          INTEGER REFERENCES pupils (id) ON DELETE CASCADE,
    group_external_id TEXT,
    category_path     TEXT NOT NULL,
    written_at        TEXT NOT NULL,
    content           TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deleted_at        TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX notes_pupil ON notes (pupil_id);

CREATE TABLE plans (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    source            TEXT NOT NULL,
    school            TEXT NOT NULL,
    external_id       TEXT NOT NULL,
    pupil_id          INTEGER REFERENCES pupils (id) ON DELETE CASCADE,
    group_external_id TEXT,
    kind              TEXT NOT NULL,
    domain            TEXT,
    title             TEXT NOT NULL,
    owner             TEXT,
    care_level        TEXT,
    start_on          TEXT NOT NULL,
    end_on            TEXT,
    evaluation_due    TEXT,
    minutes_per_week  INTEGER,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL,
    deleted_at        TEXT,
    UNIQUE (source, school, external_id)
);
CREATE INDEX plans_pupil ON plans (pupil_id);
CREATE INDEX plans_group ON plans (school, group_external_id);

CREATE TABLE evaluations (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    plan_id      INTEGER NOT NULL REFERENCES plans (id) ON DELETE CASCADE,
    evaluated_on TEXT NOT NULL,
    outcome      TEXT NOT NULL
);
CREATE INDEX evaluations_plan ON evaluations (plan_id);

CREATE TABLE signals (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    key              TEXT NOT NULL UNIQUE,
    rule             TEXT NOT NULL,
    rule_version     INTEGER NOT NULL,
    school           TEXT NOT NULL,
    pupil_id         INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    domain           TEXT,
    severity         TEXT NOT NULL,
    status           TEXT NOT NULL,
    opened_on        TEXT NOT NULL,
    explanation      TEXT NOT NULL,
    evidence         TEXT NOT NULL,
    eed_criterion    TEXT,
    snoozed_until    TEXT,
    dismissed_reason TEXT,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX signals_school_status ON signals (school, status);
CREATE INDEX signals_pupil ON signals (pupil_id);

CREATE TABLE signal_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    signal_id   INTEGER NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    at          TEXT NOT NULL,
    kind        TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    reason      TEXT,
    actor       TEXT,
    evidence    TEXT
);
CREATE INDEX signal_events_signal ON signal_events (signal_id);

CREATE TABLE tasks (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key        TEXT NOT NULL UNIQUE,
    signal_key TEXT,
    kind       TEXT NOT NULL,
    school     TEXT NOT NULL,
    pupil_id   INTEGER NOT NULL REFERENCES pupils (id) ON DELETE CASCADE,
    target     TEXT NOT NULL,
    title      TEXT NOT NULL,
    body       TEXT NOT NULL,
    due_on     TEXT,
    created_at TEXT NOT NULL
);

CREATE TABLE outbox (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    task_id         INTEGER NOT NULL UNIQUE REFERENCES tasks (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT NOT NULL,
    lease_until     TEXT,
    last_error      TEXT,
    remote_id       TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);
CREATE INDEX outbox_status_next ON outbox (status, next_attempt_at);

CREATE TABLE sync_cursors (
    source               TEXT NOT NULL,
    school               TEXT NOT NULL,
    stream               TEXT NOT NULL,
    cursor               TEXT,
    last_success_at      TEXT,
    last_error           TEXT,
    last_error_at        TEXT,
    consecutive_failures INTEGER NOT NULL,
    records              INTEGER NOT NULL,
    quarantined          INTEGER NOT NULL,
    updated_at           TEXT NOT NULL,
    PRIMARY KEY (source, school, stream)
);

CREATE TABLE quarantine (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    source        TEXT NOT NULL,
    school        TEXT NOT NULL,
    stream        TEXT NOT NULL,
    external_id   TEXT,
    raw           TEXT NOT NULL,
    reason        TEXT NOT NULL,
    first_seen_at TEXT NOT NULL,
    last_seen_at  TEXT NOT NULL,
    seen_count    INTEGER NOT NULL,
    UNIQUE (source, school, stream, external_id)
);

CREATE TABLE audit_log (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    actor   TEXT NOT NULL,
    action  TEXT NOT NULL,
    school  TEXT,
    subject TEXT NOT NULL
);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE mail_log (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    sent_at      TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    school       TEXT,
    subject_hash TEXT NOT NULL
);
CREATE INDEX mail_log_recipient ON mail_log (recipient, sent_at);

CREATE TABLE jobs (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    job          TEXT NOT NULL,
    scheduled_at TEXT NOT NULL,
    status       TEXT NOT NULL,
    worker       TEXT,
    attempts     INTEGER NOT NULL,
    lease_until  TEXT,
    started_at   TEXT,
    finished_at  TEXT,
    error        TEXT,
    created_at   TEXT NOT NULL,
    UNIQUE (job, scheduled_at)
);
CREATE INDEX jobs_status ON jobs (status, scheduled_at);

CREATE TABLE deletion_log (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    pupil_hash TEXT NOT NULL,
    school     TEXT NOT NULL,
    left_on    TEXT NOT NULL,
    deleted_at TEXT NOT NULL
);
