-- Issue 12 item 2: UWLR autorisatiesleutels for `POST /uwlr/v2/leerresultaten`. One key per
-- sender and school, made with `zorgsignaal uwlr-key add --school BRIN` (printed once); only its
-- SHA-256 is stored. Revoking deletes the row.
CREATE TABLE uwlr_keys (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    key_hash   TEXT NOT NULL UNIQUE,
    school     TEXT NOT NULL,
    label      TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX uwlr_keys_school ON uwlr_keys (school);
