//! The OPP procedure of the background OPPs (issue 18 item 5): the besluitdatum, the day the OPP
//! was drawn up and the parents' agreement on the handelingsdeel. Most schools record them (85 %
//! of the OPPs carry them; the others stay as before, procedure unknown). The decision falls one
//! to five weeks before the OPP starts (seed 004: "opstellen OPP (lkr + IB) na vaststellen
//! onderwijsbehoeften"; the OPP is drawn up on its start date), and the parents sign within three
//! and a half weeks (seed 000: "de leerkracht deelt het OPP met ouders en draagt zorg voor
//! ondertekening"), so the background keeps the procedure: the late and missing cases are
//! planted. Generated after everything else with a random stream of its own, so adding it changed
//! no other record of a seed. Planted pupils' OPPs are left to the planted cases.

use chrono::Days;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::school::SchoolGen;

impl SchoolGen<'_> {
    /// Adds the procedure's dates to the OPPs of pupils that are not planted.
    pub(super) fn opp_procedure(&mut self, seed: u64) {
        let salt = self
            .school
            .brin
            .bytes()
            .fold(0x0_0990_0018_u64, |h, b| h.rotate_left(7) ^ u64::from(b));
        let mut rng = ChaCha8Rng::seed_from_u64(seed ^ salt);
        let planted: std::collections::HashSet<u64> = self
            .school
            .leerlingen
            .iter()
            .filter(|p| p.planted)
            .map(|p| p.id)
            .collect();
        let as_of = self.as_of;
        for plan in self.school.plannen.iter_mut() {
            if &*plan.soort != "opp" || plan.leerling_id.is_none_or(|p| planted.contains(&p)) {
                continue;
            }
            // One draw per OPP whether or not it is used: each OPP's dates stay put when another changes.
            let (tracked, before, sign): (bool, u64, u64) = (
                rng.random_bool(0.85),
                rng.random_range(7..=35),
                rng.random_range(3..=24),
            );
            if !tracked {
                continue;
            }
            plan.besluitdatum = Some(plan.startdatum - Days::new(before));
            plan.opgesteld_op = Some(plan.startdatum);
            plan.instemming_ouders = Some(plan.startdatum + Days::new(sign)).filter(|d| *d <= as_of);
        }
    }
}
