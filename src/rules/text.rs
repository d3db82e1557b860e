//! Small Dutch text helpers shared by the rules' explanations and task texts.

use chrono::NaiveDate;

use super::normalise::Measurement;

/// Dutch number word for small counts (`drie`), digits above twelve.
pub fn count_word(n: usize) -> String {
    const WORDS: [&str; 13] = [
        "nul", "een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen", "tien", "elf",
        "twaalf",
    ];
    WORDS.get(n).map_or_else(|| n.to_string(), |w| (*w).to_string())
}

/// Count word with a capital (`Drie`).
pub fn count_word_capital(n: usize) -> String {
    let w = count_word(n);
    let mut chars = w.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => w,
    }
}

/// Dutch date `12-01-2026`.
pub fn date(d: NaiveDate) -> String {
    d.format("%d-%m-%Y").to_string()
}

/// `M4 V-, E4 E, M5 V-`.
pub fn shorts(ms: &[&Measurement]) -> String {
    ms.iter().map(|m| m.short()).collect::<Vec<_>>().join(", ")
}

/// `M4 V- (20-01-2025), E4 E (10-06-2025)` for task bodies.
pub fn shorts_with_dates(ms: &[&Measurement]) -> String {
    ms.iter()
        .map(|m| format!("{} ({})", m.short(), date(m.taken_on)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Dutch enumeration: `a`, `a en b`, `a, b en c`.
pub fn join_and(items: &[String]) -> String {
    match items {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} en {last}", init.join(", ")),
    }
}

/// `1 week`, `3 weken`.
pub fn weeks(n: u32) -> String {
    if n == 1 {
        "1 week".into()
    } else {
        format!("{n} weken")
    }
}

/// Dutch label of a rule id, for texts that mention another signal.
pub fn rule_label(rule: &str) -> &str {
    match rule {
        "dmt_three_lowest" => "drie keer V(E) op DMT",
        "eed_check" => "ED-dossier controleren",
        "lowest_level_repeated" => "herhaald laagste niveau",
        "level_drop" => "daling in niveau",
        "no_growth" => "geen groei",
        "reference_level_low" => "referentieniveau onder 1F",
        "avi_stagnation" => "AVI-niveau staat stil",
        "plan_evaluation_due" => "evaluatie plan binnenkort",
        "plan_evaluation_overdue" => "evaluatie plan te laat",
        "opp_yearly_evaluation" => "evaluatie OPP met ouders",
        "plan_ineffective" => "plannen zonder effect",
        "signal_without_plan" => "signaal zonder plan",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_dates() {
        assert_eq!(count_word(3), "drie");
        assert_eq!(count_word_capital(2), "Twee");
        assert_eq!(count_word(14), "14");
        assert_eq!(
            date(NaiveDate::from_ymd_opt(2026, 1, 9).expect("date")),
            "09-01-2026"
        );
        assert_eq!(join_and(&["a".into(), "b".into(), "c".into()]), "a, b en c");
        assert_eq!(join_and(&["a".into()]), "a");
        assert_eq!(weeks(1), "1 week");
        assert_eq!(weeks(20), "20 weken");
    }
}
