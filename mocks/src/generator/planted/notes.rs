//! Planted `concern_notes` cases (issue 18 item 6c): repeated notes in a concern category
//! ("Zorgen", "Welbevinden", "Gedrag", anywhere in the category path) within six school weeks,
//! with no plan of the pupil's own and no other signal, and the near misses. Dated back from
//! `as_of` on school days, like the verzuim cases.

use super::Planter;
use crate::model::Note;

/// The text of every planted concern note: what a test looks for to prove a note's text never
/// reaches a mail, a log or the board report.
pub const CONCERN_NOTE_TEXT: &str = "Komt de laatste weken stil en teruggetrokken de klas binnen.";

impl Planter<'_, '_> {
    /// A ParnasSys note about `pid` in category `path`, `back` days before `as_of` (a weekday).
    fn note(&mut self, pid: u64, back: u64, path: &[&str]) {
        let id = self.g.id();
        let date = self.weekday_back(back);
        self.g.school.notities.push(Note {
            id,
            leerling_id: pid,
            groep_id: self.current_group,
            categorie: path.iter().map(|s| (*s).into()).collect(),
            aangemaakt_op: date,
            inhoud: CONCERN_NOTE_TEXT.into(),
        });
    }

    /// A new planted pupil with notes `(days back, category path)` and its expectation.
    fn notes_case(&mut self, rows: &[(u64, &[&str])], fires: bool, description: &str) -> u64 {
        let pid = self.pupil();
        for &(back, path) in rows {
            self.note(pid, back, path);
        }
        self.expect("concern_notes", pid, None, fires, None, description);
        pid
    }

    pub(super) fn concern_notes(&mut self) {
        let (zorgen, welbevinden, gedrag): (&[&str], &[&str], &[&str]) =
            (&["Zorgen"], &["Zorg", "Welbevinden"], &["Gedrag"]);
        let rekenen: &[&str] = &["Rekenen", "Tafels"];
        self.notes_case(
            &[(20, zorgen), (12, zorgen), (4, zorgen)],
            true,
            "Drie notities 'Zorgen' in drie weken, geen plan en geen ander signaal: bespreken.",
        );
        self.notes_case(
            &[(30, welbevinden), (18, gedrag), (9, rekenen), (2, zorgen)],
            true,
            "Welbevinden, Gedrag en Zorgen binnen zes weken (en een rekennotitie): drie zorgnotities.",
        );
        self.notes_case(
            &[(35, gedrag), (25, gedrag), (15, gedrag), (5, gedrag)],
            true,
            "Vier notities 'Gedrag' in vijf weken: één signaal met alle vier.",
        );
        self.notes_case(
            &[(15, zorgen), (10, rekenen), (6, rekenen), (3, gedrag)],
            false,
            "Near-miss: twee zorgnotities en twee rekennotities in drie weken: te weinig zorgnotities.",
        );
        self.notes_case(
            &[(150, zorgen), (75, zorgen), (1, zorgen)],
            false,
            "Near-miss: drie notities 'Zorgen', maar verspreid over vijf maanden.",
        );
        self.notes_case(
            &[
                (20, &["Oudergesprek"]),
                (12, &["Oudergesprek"]),
                (4, &["Oudergesprek"]),
            ],
            false,
            "Near-miss: drie notities 'Oudergesprek': geen zorgcategorie.",
        );
        let pid = self.notes_case(
            &[(20, zorgen), (12, welbevinden), (4, gedrag)],
            false,
            "Near-miss: drie zorgnotities, maar er loopt al een eigen handelingsplan.",
        );
        let (start, due) = (self.day(-60), self.day(40));
        self.plan(pid, "handelingsplan", None, 1, start, None, Some(due), &[]);
    }
}
