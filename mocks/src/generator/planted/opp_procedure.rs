//! Planted OPP procedure cases (issue 18 item 5): an OPP decided and not drawn up within 6 school
//! weeks (`opp_not_drawn_up`), an OPP drawn up whose parents' agreement on the handelingsdeel is
//! not recorded within 4 school weeks (`opp_parents_agreement`), and their near misses: the last
//! day of the term, a late date that is recorded, a closed OPP, and an OPP whose school does not
//! record the procedure (no besluitdatum: unknown, never a reminder). Dates count back from
//! `as_of`; the planted school has no holiday before `as_of`, so a school week is seven days.

use chrono::NaiveDate;

use super::Planter;

/// Days back from `as_of`: besluit, opgesteld, instemming ouders, einde; fires; description.
type Case = (
    Option<i64>,
    Option<i64>,
    Option<i64>,
    Option<i64>,
    bool,
    &'static str,
);

impl Planter<'_, '_> {
    /// An OPP registered at `start` with the procedure's dates (days back from `as_of`).
    fn opp_with_procedure(
        &mut self,
        pid: u64,
        start: NaiveDate,
        (decided, drawn, agreed, end): (Option<i64>, Option<i64>, Option<i64>, Option<i64>),
    ) {
        let b1 = 2;
        let end = end.map(|e| self.day(-e));
        self.plan(pid, "opp", None, b1, start, end, None, &[]);
        let back = |days: Option<i64>| days.map(|d| self.day(-d));
        let (decided, drawn, agreed) = (back(decided), back(drawn), back(agreed));
        if let Some(plan) = self.g.school.plannen.last_mut() {
            plan.besluitdatum = decided;
            plan.opgesteld_op = drawn;
            plan.instemming_ouders = agreed;
        }
    }

    pub(super) fn opp_procedure(&mut self) {
        let rule = "opp_not_drawn_up";
        let cases: [Case; 8] = [
            (
                Some(50),
                None,
                None,
                None,
                true,
                "Besluit OPP 50 dagen geleden, nog niet opgesteld (termijn 6 weken): vuurt.",
            ),
            (
                Some(43),
                None,
                None,
                None,
                true,
                "Besluit OPP 43 dagen geleden, nog niet opgesteld: de dag na de termijn, vuurt.",
            ),
            (
                Some(120),
                None,
                None,
                None,
                true,
                "Besluit OPP vier maanden geleden, nog steeds niet opgesteld: vuurt.",
            ),
            (
                Some(42),
                None,
                None,
                None,
                false,
                "Near-miss: besluit precies 6 weken geleden, vandaag is de laatste dag van de termijn.",
            ),
            (
                Some(60),
                Some(20),
                None,
                None,
                false,
                "Near-miss: te laat opgesteld (na 40 dagen), maar vastgelegd: de herinnering stopt.",
            ),
            (
                Some(60),
                Some(30),
                Some(10),
                None,
                false,
                "Near-miss: binnen de termijn opgesteld.",
            ),
            (
                None,
                None,
                None,
                None,
                false,
                "Near-miss: OPP zonder besluitdatum (de school legt de procedure niet vast): onbekend, geen herinnering.",
            ),
            (
                Some(60),
                None,
                None,
                Some(5),
                false,
                "Near-miss: besluit 60 dagen geleden, het OPP is afgesloten zonder opgesteld te zijn.",
            ),
        ];
        for (decided, drawn, agreed, end, fires, description) in cases {
            let pid = self.pupil();
            // Registered at the decision; an OPP without one started 60 days ago.
            let start = self.day(-decided.unwrap_or(60));
            self.opp_with_procedure(pid, start, (decided, drawn, agreed, end));
            self.expect(rule, pid, None, fires, None, description);
        }

        let rule = "opp_parents_agreement";
        let cases: [Case; 7] = [
            (
                Some(40),
                Some(29),
                None,
                None,
                true,
                "OPP 29 dagen geleden opgesteld, geen instemming ouders (termijn 4 weken): vuurt.",
            ),
            (
                Some(75),
                Some(60),
                None,
                None,
                true,
                "OPP twee maanden geleden opgesteld, instemming ouders niet vastgelegd: vuurt.",
            ),
            (
                Some(130),
                Some(100),
                None,
                None,
                true,
                "OPP honderd dagen geleden opgesteld, nog steeds geen instemming ouders: vuurt.",
            ),
            (
                Some(40),
                Some(28),
                None,
                None,
                false,
                "Near-miss: OPP precies 4 weken geleden opgesteld, vandaag is de laatste dag van de termijn.",
            ),
            (
                Some(75),
                Some(60),
                Some(10),
                None,
                false,
                "Near-miss: instemming ouders te laat, maar vastgelegd: de herinnering stopt.",
            ),
            (
                Some(75),
                Some(60),
                Some(50),
                None,
                false,
                "Near-miss: instemming ouders binnen de termijn.",
            ),
            (
                None,
                Some(60),
                None,
                None,
                false,
                "Near-miss: opgesteld zonder besluitdatum (de school legt de procedure niet vast): onbekend, geen herinnering.",
            ),
        ];
        for (decided, drawn, agreed, end, fires, description) in cases {
            let pid = self.pupil();
            let start = self.day(-decided.unwrap_or(75));
            self.opp_with_procedure(pid, start, (decided, drawn, agreed, end));
            self.expect(rule, pid, None, fires, None, description);
        }
    }
}
