//! What the social-emotional rules share (issue 18 item 1): a pupil's measurements per instrument
//! and scale in date order, their evidence and their Dutch description. The rules are
//! `social_emotional_low`, `social_emotional_drop` and `social_emotional_not_measured`
//! (docs/RULES.md §3c).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::text;
use crate::domain::{Evidence, SeInstrument, SocialEmotionalMeasurement};

/// The pupil's measurements up to `as_of` per instrument and scale, oldest first. Two
/// measurements of one scale on one day (the same sitting from two sources) count once: the
/// more concerning category, then the smaller source id, is kept.
pub fn series(
    measurements: &[SocialEmotionalMeasurement],
    as_of: NaiveDate,
) -> BTreeMap<(SeInstrument, String), Vec<&SocialEmotionalMeasurement>> {
    let mut by_day: BTreeMap<(SeInstrument, String, NaiveDate), &SocialEmotionalMeasurement> =
        BTreeMap::new();
    for m in measurements
        .iter()
        .filter(|m| m.measured_on <= as_of && m.is_valid())
    {
        by_day
            .entry((m.instrument, m.scale.clone(), m.measured_on))
            .and_modify(|kept| {
                if (m.category, &m.external_id) < (kept.category, &kept.external_id) {
                    *kept = m;
                }
            })
            .or_insert(m);
    }
    let mut out: BTreeMap<(SeInstrument, String), Vec<&SocialEmotionalMeasurement>> = BTreeMap::new();
    for ((instrument, scale, _), m) in by_day {
        out.entry((instrument, scale)).or_default().push(m);
    }
    out
}

/// `ZIEN! welbevinden`.
pub fn scale_label(m: &SocialEmotionalMeasurement) -> String {
    format!("{} {}", m.instrument.label(), m.scale)
}

/// `rood (03-11-2025)`.
pub fn short(m: &SocialEmotionalMeasurement) -> String {
    format!("{} ({})", m.category_name(), text::date(m.measured_on))
}

/// The evidence record of one measurement: kind `social_emotional`, the instrument and scale as
/// `test`, the category as `level`, the instrument as `scale`.
pub fn evidence(m: &SocialEmotionalMeasurement) -> Evidence {
    Evidence {
        kind: "social_emotional".into(),
        id: m.external_id.clone(),
        date: m.measured_on,
        test: Some(scale_label(m)),
        moment: None,
        level: Some(m.category_name().into()),
        scale: Some(m.instrument.as_str().into()),
        percentile: None,
        ability_score: None,
        source: Some(m.source),
        note: m
            .below_signal_boundary()
            .then(|| "onder de signaleringsgrens".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::super::testkit::{Pupil, d};
    use super::*;
    use crate::domain::Source;

    #[test]
    fn series_per_scale_in_date_order_and_one_per_sitting() {
        let h = Pupil::new(1)
            .se(SeInstrument::Zien, "welbevinden", d(2026, 3, 20), "oranje")
            .se(SeInstrument::Zien, "welbevinden", d(2025, 11, 3), "groen")
            .se_from(
                Source::Csv,
                SeInstrument::Zien,
                "welbevinden",
                d(2026, 3, 20),
                "rood",
            )
            .se(SeInstrument::Zien, "betrokkenheid", d(2025, 11, 3), "groen")
            .se(SeInstrument::Zien, "welbevinden", d(2026, 11, 3), "groen")
            .build();
        let s = series(&h.social_emotional, d(2026, 6, 1));
        assert_eq!(s.len(), 2);
        let wb = &s[&(SeInstrument::Zien, "welbevinden".to_string())];
        let got: Vec<(NaiveDate, &str)> = wb.iter().map(|m| (m.measured_on, m.category_name())).collect();
        assert_eq!(
            got,
            [(d(2025, 11, 3), "groen"), (d(2026, 3, 20), "rood")],
            "nothing after as_of; the more concerning of one sitting"
        );
        let e = evidence(wb[1]);
        assert_eq!(
            (e.kind.as_str(), e.test.as_deref(), e.level.as_deref()),
            ("social_emotional", Some("ZIEN! welbevinden"), Some("rood"))
        );
        assert_eq!(e.note.as_deref(), Some("onder de signaleringsgrens"));
        assert_eq!(short(wb[0]), "groen (03-11-2025)");
    }
}
