-- Notes by school, pupil and time (issue 18 item 6): the rule engine reads each school's pupil
-- notes of a bounded window (`note_marks`), the pupil page a pupil's recent notes, and the group
-- notes of his groups (`pupil_notes`).
CREATE INDEX notes_school_pupil_written ON notes (school, pupil_id, written_at);
CREATE INDEX notes_school_group_written ON notes (school, group_external_id, written_at);
