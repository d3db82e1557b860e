//! Planted `dyscalculia_check` cases (issue 18 item 3, protocol ERWD): three rekenen main
//! measurements in a row in the lowest 10 % and a low tempotoets automatiseren (TTR) of this or
//! last school year, and the near misses.

use chrono::Days;

use super::{Planter, Row};
use crate::model::StatedMoment;

impl Planter<'_, '_> {
    pub(super) fn dyscalculia(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, ttr) = (c.cito[0].clone(), c.ttr.clone());
        let rule = "dyscalculia_check";
        let maths = Some("mathematics");
        // The TTR a week after the M round of the latest school year with results.
        let ttr_day = d.m26 + Days::new(7);
        type Case<'s> = (Vec<Row<'s>>, Option<Row<'s>>, bool, &'s str);
        let cases: Vec<Case<'_>> = vec![
            (
                vec![
                    (d.e25, e, "IV:V-", Some(7), None),
                    (d.m26, m, "IV:V-", Some(5), None),
                    (d.e26, e, "IV:V-", Some(9), None),
                ],
                Some((ttr_day, m, "IV:V-", Some(6), None)),
                true,
                "Rekenen drie keer V- (P7, P5, P9) en de TTR op V- (P6): rekenonderzoek (ERWD) starten.",
            ),
            (
                vec![
                    (d.m25, m, "", Some(8), None),
                    (d.e25, e, "IV:V-", None, None),
                    (d.m26, m, "IV:V", Some(9), None),
                ],
                Some((ttr_day, m, "IV:V-", None, None)),
                true,
                "Rekenen P8, V- en V (P9): drie keer bij de laagste 10 %, TTR V-: rekenonderzoek starten.",
            ),
            (
                vec![
                    (d.m25, m, "IV:V", Some(15), None),
                    (d.e25, e, "IV:V-", Some(4), None),
                    (d.m26, m, "IV:V-", Some(3), None),
                    (d.e26, e, "IV:V-", Some(8), None),
                ],
                Some((ttr_day, m, "IV:V", Some(10), None)),
                true,
                "Rekenen V (P15) en daarna drie keer V-, TTR P10: rekenonderzoek starten.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V-", Some(6), None),
                    (d.m26, m, "IV:V-", Some(8), None),
                    (d.e26, e, "IV:V-", Some(5), None),
                ],
                Some((ttr_day, m, "IV:IV", Some(35), None)),
                false,
                "Near-miss: rekenen drie keer V-, maar de TTR is IV (P35): automatiseren is op orde.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V-", Some(6), None),
                    (d.m26, m, "IV:V-", Some(8), None),
                    (d.e26, e, "IV:V-", Some(5), None),
                ],
                None,
                false,
                "Near-miss: rekenen drie keer V-, maar geen tempotoets (TTR) afgenomen.",
            ),
            (
                vec![
                    (d.e25, e, "IV:V-", Some(6), None),
                    (d.m26, m, "IV:V", Some(14), None),
                    (d.e26, e, "IV:V-", Some(5), None),
                ],
                Some((ttr_day, m, "IV:V-", Some(4), None)),
                false,
                "Near-miss: rekenen V-, V (P14), V-: niet drie keer bij de laagste 10 % (TTR wel laag).",
            ),
        ];
        for (rows, tempo, fires, desc) in cases {
            let pid = self.pupil();
            self.results(pid, &rw, &rows);
            if let Some(row) = tempo {
                self.results(pid, &ttr, &[row]);
            }
            self.expect(rule, pid, maths, fires, None, desc);
        }
    }
}
