-- Signal economy (issue 17): which signals a mail named to which IB of which school, so a digest
-- names an item once ("new") and repeats an unchanged open item at most weekly ("nog open").
-- Only ids and a fingerprint (the severity); never a name or an explanation.
CREATE TABLE mail_items (
    recipient       TEXT NOT NULL,
    school          TEXT NOT NULL,
    signal_id       INTEGER NOT NULL REFERENCES signals (id) ON DELETE CASCADE,
    fingerprint     TEXT NOT NULL,
    first_mailed_at TEXT NOT NULL,
    last_mailed_at  TEXT NOT NULL,
    PRIMARY KEY (recipient, school, signal_id)
);
CREATE INDEX mail_items_signal ON mail_items (signal_id);
-- "Last mail to this IB about this school" (one IB at two schools has two limits).
CREATE INDEX mail_log_school ON mail_log (recipient, school, sent_at);
