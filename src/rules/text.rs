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
pub fn weeks(n: impl Into<i64>) -> String {
    plural(n.into(), "week", "weken")
}

/// `1 dag`, `17 dagen`.
pub fn days(n: impl Into<i64>) -> String {
    plural(n.into(), "dag", "dagen")
}

/// `1 afname`, `3 afnames`: the count with the singular or the plural.
pub fn plural(n: i64, one: &str, many: &str) -> String {
    if n == 1 || n == -1 {
        format!("{n} {one}")
    } else {
        format!("{n} {many}")
    }
}

/// A number as Dutch readers write it: `5`, `3,6` (decimal comma, one decimal when not whole).
pub fn number(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}").replace('.', ",")
    }
}

/// The text a reader sees in an HTML page or mail: tags and their attributes dropped (each tag
/// becomes ` | `, so that table cells do not run into each other), `<style>` and `<script>`
/// contents left out, `&lt;`-style entities kept as written. For [`dutch_text_problems`] over
/// rendered pages.
pub fn html_visible_text(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        out.push_str(" | ");
        let tag = &rest[open..];
        let lower = tag.get(..8).unwrap_or(tag).to_ascii_lowercase();
        let skip_to = if lower.starts_with("<style") {
            tag.find("</style>").map(|i| i + "</style>".len())
        } else if lower.starts_with("<script") {
            tag.find("</script>").map(|i| i + "</script>".len())
        } else {
            tag.find('>').map(|i| i + 1)
        };
        match skip_to {
            Some(i) => rest = &tag[i..],
            None => {
                rest = "";
            }
        }
    }
    out.push_str(rest);
    out
}

/// What makes a text a school user reads un-Dutch (issue 16 item 14), for tests of every text
/// surface (rules, mails, dashboard, report, CLI): a count with the wrong number (`1 dagen`,
/// `1 weken`, `3 dag`), a number with a decimal point (`3.6`), an ISO date (`2026-03-12`) or a
/// `dag(en)` hedge. Web addresses, e-mail addresses and file names (`rapport-2026-03-02.csv`, whose
/// ISO date sorts) are skipped. Empty when the text is fine.
pub fn dutch_text_problems(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    if text.contains("(en)") {
        out.push("'(en)' instead of singular or plural".to_owned());
    }
    let tokens: Vec<&str> = text
        .split_whitespace()
        .filter(|t| {
            let file = [".html", ".csv", ".json", ".eml", ".pdf"]
                .iter()
                .any(|x| t.contains(x));
            !t.contains("://") && !t.contains('@') && !t.starts_with('/') && !file
        })
        .collect();
    for t in &tokens {
        let b = t.as_bytes();
        for i in 0..b.len() {
            let digit = |j: usize| b.get(j).is_some_and(u8::is_ascii_digit);
            if b[i] == b'.' && i > 0 && digit(i - 1) && digit(i + 1) {
                out.push(format!("decimal point in {t:?}"));
                break;
            }
            let iso = i + 10 <= b.len()
                && (0..4).all(|k| digit(i + k))
                && b[i + 4] == b'-'
                && digit(i + 5)
                && digit(i + 6)
                && b[i + 7] == b'-'
                && digit(i + 8)
                && digit(i + 9)
                && (i == 0 || !digit(i - 1))
                && !digit(i + 10);
            if iso {
                out.push(format!("ISO date in {t:?}"));
                break;
            }
        }
    }
    let words: Vec<String> = tokens
        .iter()
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()).to_lowercase())
        .collect();
    for (i, w) in words.iter().enumerate() {
        let Ok(n) = w.parse::<u64>() else { continue };
        // The counted word, after at most one adjective (`3 nieuwe signalen`).
        let mut unit = words.get(i + 1).map_or("", String::as_str);
        if matches!(unit, "nieuwe" | "nieuw" | "open" | "openstaande" | "andere") {
            unit = words.get(i + 2).map_or("", String::as_str);
        }
        let wrong = match unit {
            "dagen" | "weken" | "maanden" | "jaren" | "leerlingen" | "signalen" | "afnames"
            | "escalaties" | "plannen" | "taken" | "evaluaties" => n == 1,
            "dag" | "week" | "maand" | "leerling" | "signaal" | "afname" | "escalatie" | "taak"
            | "evaluatie" => n != 1,
            _ => false,
        };
        if wrong {
            out.push(format!("'{n} {unit}'"));
        }
    }
    out
}

/// One rule's Dutch names, one row per rule in [`RULE_LABELS`]: the only place a rule's labels
/// are written (a new rule adds one row; a unit test checks every rule of [`super::RULES`] has
/// one). Three audiences, three wordings.
#[derive(Debug, Clone, Copy)]
pub struct RuleLabels {
    /// Rule id.
    pub id: &'static str,
    /// In texts that mention another signal, on the dashboard and in the CLI (lower case).
    pub text: &'static str,
    /// In the IB's mail (digest lines and counts per rule).
    pub mail: &'static str,
    /// In the board report (capitalised, the board's words).
    pub board: &'static str,
}

/// The Dutch labels of every rule.
pub const RULE_LABELS: &[RuleLabels] = &[
    RuleLabels {
        id: "dmt_three_lowest",
        text: "drie keer V(E) op DMT",
        mail: "drie keer V(E) op de DMT",
        board: "Drie keer V(E) op DMT",
    },
    RuleLabels {
        id: "eed_check",
        text: "ED-dossier controleren",
        mail: "ED-dossier nakijken",
        board: "ED-check dyslexiedossier",
    },
    RuleLabels {
        id: "lowest_level_repeated",
        text: "herhaald laagste niveau",
        mail: "twee keer het laagste niveau",
        board: "Twee keer laagste niveau",
    },
    RuleLabels {
        id: "level_drop",
        text: "daling in niveau",
        mail: "daling van twee niveaus of meer",
        board: "Daling van twee niveaus",
    },
    RuleLabels {
        id: "no_growth",
        text: "geen groei",
        mail: "geen groei",
        board: "Geen groei vaardigheidsscore",
    },
    RuleLabels {
        id: "reference_level_low",
        text: "referentieniveau onder 1F",
        mail: "referentieniveau onder 1F",
        board: "Referentieniveau onder 1F",
    },
    RuleLabels {
        id: "avi_stagnation",
        text: "AVI-niveau staat stil",
        mail: "AVI-niveau staat stil",
        board: "AVI-niveau staat stil",
    },
    RuleLabels {
        id: "plan_evaluation_due",
        text: "evaluatie plan binnenkort",
        mail: "evaluatie binnenkort",
        board: "Evaluatie plan binnenkort",
    },
    RuleLabels {
        id: "plan_evaluation_overdue",
        text: "evaluatie plan te laat",
        mail: "evaluatie te laat",
        board: "Evaluatie plan verlopen",
    },
    RuleLabels {
        id: "opp_yearly_evaluation",
        text: "evaluatie OPP met ouders",
        mail: "OPP-evaluatie met ouders",
        board: "OPP-evaluatie met ouders",
    },
    RuleLabels {
        id: "plan_ineffective",
        text: "plannen zonder effect",
        mail: "plannen zonder effect",
        board: "Plan zonder effect",
    },
    RuleLabels {
        id: "signal_without_plan",
        text: "signaal zonder plan",
        mail: "signaal zonder plan",
        board: "Signaal zonder plan",
    },
    RuleLabels {
        id: "unauthorised_absence",
        text: "ongeoorloofd verzuim melden",
        mail: "ongeoorloofd verzuim melden",
        board: "Ongeoorloofd verzuim (leerplicht)",
    },
    RuleLabels {
        id: "frequent_sick_absence",
        text: "frequent ziekteverzuim",
        mail: "frequent ziekteverzuim",
        board: "Frequent ziekteverzuim",
    },
    RuleLabels {
        id: "gifted_candidate",
        text: "plusaanbod bespreken",
        mail: "plusaanbod bespreken",
        board: "Plusaanbod bespreken",
    },
    RuleLabels {
        id: "dyscalculia_check",
        text: "rekenonderzoek (ERWD)",
        mail: "rekenonderzoek (ERWD)",
        board: "Rekenonderzoek ERWD (dyscalculie)",
    },
    RuleLabels {
        id: "opp_not_drawn_up",
        text: "OPP nog niet opgesteld",
        mail: "OPP nog niet opgesteld",
        board: "OPP niet binnen termijn opgesteld",
    },
    RuleLabels {
        id: "opp_parents_agreement",
        text: "instemming ouders OPP ontbreekt",
        mail: "instemming ouders OPP ontbreekt",
        board: "Instemming ouders OPP ontbreekt",
    },
    RuleLabels {
        id: "social_emotional_low",
        text: "sociaal-emotioneel onder de signaleringsgrens",
        mail: "sociaal-emotioneel onder de signaleringsgrens",
        board: "Sociaal-emotioneel onder de signaleringsgrens",
    },
    RuleLabels {
        id: "social_emotional_drop",
        text: "sociaal-emotionele terugval",
        mail: "sociaal-emotionele terugval",
        board: "Sociaal-emotionele terugval",
    },
    RuleLabels {
        id: "social_emotional_not_measured",
        text: "sociaal-emotionele meting ontbreekt",
        mail: "sociaal-emotionele meting ontbreekt",
        board: "Sociaal-emotionele meting ontbreekt",
    },
    RuleLabels {
        id: "concern_notes",
        text: "herhaalde zorgnotities",
        mail: "herhaalde zorgnotities bespreken",
        board: "Herhaalde zorgnotities",
    },
];

fn labels_of(rule: &str) -> Option<&'static RuleLabels> {
    RULE_LABELS.iter().find(|l| l.id == rule)
}

/// Dutch label of a rule id, for texts that mention another signal (the id itself when unknown).
pub fn rule_label(rule: &str) -> &str {
    labels_of(rule).map_or(rule, |l| l.text)
}

/// Dutch label of a rule for the IB's mail (the id itself when unknown).
pub fn mail_label(rule: &str) -> &str {
    labels_of(rule).map_or(rule, |l| l.mail)
}

/// Dutch name of a rule for the board report (the id itself when unknown).
pub fn board_label(rule: &str) -> &str {
    labels_of(rule).map_or(rule, |l| l.board)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every rule of the engine has its three labels, and no row names a rule that is gone.
    #[test]
    fn every_rule_has_its_labels_once() {
        let ids: Vec<&str> = crate::rules::RULES.iter().map(|r| r.id).collect();
        for id in &ids {
            let rows = RULE_LABELS.iter().filter(|l| l.id == *id).count();
            assert_eq!(rows, 1, "{id}: {rows} label rows");
            for label in [rule_label(id), mail_label(id), board_label(id)] {
                assert_ne!(label, *id, "{id} has no Dutch label");
                assert_eq!(dutch_text_problems(label), Vec::<String>::new(), "{label}");
            }
        }
        for l in RULE_LABELS {
            assert!(ids.contains(&l.id), "label row for unknown rule {}", l.id);
        }
        assert_eq!(rule_label("no_such_rule"), "no_such_rule");
    }

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
        assert_eq!(weeks(20u32), "20 weken");
        assert_eq!(days(1), "1 dag");
        assert_eq!(days(17), "17 dagen");
        assert_eq!(days(0), "0 dagen");
        assert_eq!(number(5.0), "5");
        assert_eq!(number(3.64), "3,6");
    }

    /// The checker finds what issue 16 item 14 forbids, and lets good Dutch pass.
    #[test]
    fn the_dutch_text_checker() {
        let bad = [
            "ontbreekt (1 dagen te laat)",
            "staat sinds 01-02-2026 open (1 weken)",
            "na 3 dag nog niet",
            "de meetfout van 3.6 punten",
            "peildatum 2026-03-02",
            "uiterlijk 1 dag(en) na de evaluatiedatum",
            "Nog 1 nieuwe signalen bij 1 leerlingen",
            "2 escalatie voor de directie",
        ];
        for b in bad {
            assert!(!dutch_text_problems(b).is_empty(), "{b}");
        }
        let good = [
            "ontbreekt (1 dag te laat); 17 dagen, 1 week, 6 weken",
            "De meetfout van 3,6 punten; peildatum 02-03-2026 (WPO art. 40a).",
            "Zie http://127.0.0.1:8080/scholen/11ZW of mail ib@school.example.nl.",
            "P11-20, groep 4b, 2025-2026, M4 V-",
        ];
        for g in good {
            assert_eq!(dutch_text_problems(g), Vec::<String>::new(), "{g}");
        }
    }
}
