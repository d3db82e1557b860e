//! Planted `gifted_candidate` cases (issue 18 item 4): top 10 % (I+ or P≥90) at the M and E
//! rounds of one school year in rekenen-wiskunde or begrijpend lezen, and the near misses.

use super::{Planter, Row};
use crate::model::StatedMoment;

/// Title of the planted plusaanbod plan (a plan title the rule reads as a plusaanbod).
pub const PLUSAANBOD_TITLE: &str = "Plusklas rekenen";

impl Planter<'_, '_> {
    pub(super) fn gifted(&mut self) {
        let d = self.dates();
        let c = self.cat();
        let (m, e) = (Some(StatedMoment::M), Some(StatedMoment::E));
        let (rw, sp, bl) = (c.cito[0].clone(), c.cito[1].clone(), c.cito[2].clone());
        let rule = "gifted_candidate";
        let cases: Vec<(&crate::generator::catalog::TestDef, Vec<Row<'_>>, bool, &str)> = vec![
            (
                &rw,
                vec![
                    (d.e25, e, "IV:II", Some(70), None),
                    (d.m26, m, "IV:I+", None, None),
                    (d.e26, e, "IV:I", Some(95), None),
                ],
                true,
                "Rekenen I+ bij M en P95 bij E van hetzelfde schooljaar: plusaanbod bespreken.",
            ),
            (
                &bl,
                vec![
                    (d.m26, m, "IV:I", Some(93), None),
                    (d.e26, e, "IV:I+", Some(91), None),
                ],
                true,
                "Begrijpend lezen P93 en P91 (I+): twee keer bij de hoogste 10 %, plusaanbod bespreken.",
            ),
            (
                &rw,
                vec![(d.m26, m, "IV:I", None, None), (d.e26, e, "IV:I", None, None)],
                false,
                "Near-miss: rekenen twee keer een kale I (P81-100): niet zeker bij de hoogste 10 %.",
            ),
            (
                &rw,
                vec![
                    (d.m26, m, "IV:I+", Some(96), None),
                    (d.e26, e, "IV:I", Some(88), None),
                ],
                false,
                "Near-miss: rekenen P96 en daarna P88: één keer bij de hoogste 10 %.",
            ),
            (
                &sp,
                vec![
                    (d.m26, m, "IV:I+", Some(97), None),
                    (d.e26, e, "IV:I+", Some(98), None),
                ],
                false,
                "Near-miss: spelling twee keer I+: geen plusaanbod-domein (standaard rekenen en begrijpend lezen).",
            ),
        ];
        for (t, rows, fires, desc) in cases {
            let pid = self.pupil();
            self.results(pid, t, &rows);
            self.expect(rule, pid, None, fires, None, desc);
        }
        // Top in both domains: one signal for the pupil, both domains in its evidence.
        let pid = self.pupil();
        self.results(
            pid,
            &rw,
            &[
                (d.m26, m, "IV:I+", Some(97), None),
                (d.e26, e, "IV:I+", Some(96), None),
            ],
        );
        self.results(
            pid,
            &bl,
            &[
                (d.m26, m, "IV:I+", None, None),
                (d.e26, e, "IV:I", Some(92), None),
            ],
        );
        self.expect(
            rule,
            pid,
            None,
            true,
            None,
            "Rekenen (P97, P96) en begrijpend lezen (I+, P92) bij de hoogste 10 %: één signaal voor de leerling.",
        );
        // Near miss: top twice in rekenen, but the pupil is in the plusklas already.
        let pid = self.pupil();
        self.results(
            pid,
            &rw,
            &[
                (d.m26, m, "IV:I+", Some(98), None),
                (d.e26, e, "IV:I+", Some(97), None),
            ],
        );
        let start = d.m26;
        let due = self.day(40);
        self.plan(pid, "handelingsplan", None, 0, start, None, Some(due), &[]);
        if let Some(plan) = self.g.school.plannen.last_mut() {
            plan.titel = PLUSAANBOD_TITLE.into();
        }
        self.expect(
            rule,
            pid,
            None,
            false,
            None,
            "Near-miss: rekenen twee keer I+, maar de leerling zit al in de plusklas (plan loopt).",
        );
    }
}
