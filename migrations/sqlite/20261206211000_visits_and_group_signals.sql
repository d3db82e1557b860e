-- Dashboard start page (issue 17 item 4): when a user last looked at a school's page, so the page
-- can show what is "nieuw sinds uw vorige bezoek". A visit is a run of page views with no gap of
-- more than half an hour; `previous_seen_at` is the last view of the visit before the current one.
-- Only times, per user and school.
CREATE TABLE dashboard_visits (
    user_id          INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    school           TEXT NOT NULL,
    last_seen_at     TEXT NOT NULL,
    previous_seen_at TEXT,
    PRIMARY KEY (user_id, school)
);

-- Group-plan reminders (issue 16 item 10): `plan_evaluation_due` and `plan_evaluation_overdue`
-- of a groepsplan concern the group, not one pupil, so they are stored per group (key subject
-- `g<group>`). No pupil data: the group's source id, the plan's title and dates. `status` is
-- `open` while the rule finds the reminder and `resolved` once it no longer does (the plan was
-- evaluated, or its next period has taken over).
CREATE TABLE group_signals (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    key               TEXT NOT NULL UNIQUE,
    rule              TEXT NOT NULL,
    rule_version      INTEGER NOT NULL,
    school            TEXT NOT NULL,
    group_external_id TEXT NOT NULL,
    domain            TEXT,
    severity          TEXT NOT NULL,
    status            TEXT NOT NULL,
    opened_on         TEXT NOT NULL,
    explanation       TEXT NOT NULL,
    evidence          TEXT NOT NULL,
    created_at        TEXT NOT NULL,
    updated_at        TEXT NOT NULL
);
CREATE INDEX group_signals_school ON group_signals (school, status);
