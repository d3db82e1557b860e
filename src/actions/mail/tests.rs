//! Unit tests of the pure digest and the quiet times.

use chrono::{NaiveDate, TimeZone, Utc};

use super::digest::{DigestInput, DigestItem, DigestPolicy, ItemKind, build_digest};
use super::policy::{Quiet, quiet_reason};
use crate::domain::{Brin, Grade, LearningDomain, Pupil, School, Severity, Source};
use crate::settings::{Holiday, MailSettings, PupilNames};

fn school() -> School {
    School {
        brin: Brin::parse("11ZW").expect("brin"),
        name: "OBS De Klimop".into(),
        care_ladder: "default".into(),
    }
}

fn pupil(id: &str, given: &str, prefix: Option<&str>, surname: &str) -> Pupil {
    Pupil {
        school: school().brin,
        source: Source::ParnassysGkv,
        external_id: id.into(),
        national_id_hash: None,
        given_name: given.into(),
        surname_prefix: prefix.map(Into::into),
        surname: surname.into(),
        birth_date: None,
        left_on: None,
        dyslexia_statement: None,
    }
}

fn item(
    id: i64,
    kind: ItemKind,
    pupil: Pupil,
    grade: u8,
    rule: &str,
    severity: Severity,
    new: bool,
) -> DigestItem {
    DigestItem {
        signal_id: id,
        kind,
        pupil,
        grade: Some(Grade::new(grade).expect("grade")),
        rule: rule.into(),
        domain: Some(LearningDomain::WordReading),
        severity,
        explanation: format!("Uitleg bij signaal {id}."),
        is_new: new,
    }
}

fn policy(names: PupilNames) -> DigestPolicy {
    DigestPolicy {
        pupil_names: names,
        dashboard_url: "https://zorgsignaal.example/".into(),
    }
}

fn monday() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 30).expect("date")
}

fn sample() -> DigestInput {
    DigestInput {
        items: vec![
            item(
                1,
                ItemKind::NewSignal,
                pupil("p1", "Sanne", Some("de"), "Vries"),
                4,
                "dmt_three_lowest",
                Severity::High,
                true,
            ),
            item(
                2,
                ItemKind::NewSignal,
                pupil("p2", "Daan", None, "Kuipers"),
                6,
                "level_drop",
                Severity::Medium,
                true,
            ),
            item(
                3,
                ItemKind::NewSignal,
                pupil("p3", "Emma", None, "Bakker"),
                4,
                "no_growth",
                Severity::Low,
                true,
            ),
            item(
                4,
                ItemKind::EvaluationOverdue,
                pupil("p2", "Daan", None, "Kuipers"),
                6,
                "plan_evaluation_overdue",
                Severity::Medium,
                false,
            ),
            item(
                5,
                ItemKind::EedCheck,
                pupil("p1", "Sanne", Some("de"), "Vries"),
                4,
                "eed_check",
                Severity::High,
                true,
            ),
        ],
    }
}

fn build(input: &DigestInput, names: PupilNames) -> super::Digest {
    build_digest(&school(), "ib@klimop.example", input, monday(), &policy(names))
        .expect("render")
        .expect("there is news")
}

#[test]
fn groups_by_groep_with_the_explanations_and_a_dashboard_link() {
    let d = build(&sample(), PupilNames::RoepnaamInitial);
    let text = &d.text;
    let g4 = text.find("Groep 4").expect("groep 4");
    let g6 = text.find("Groep 6").expect("groep 6");
    assert!(g4 < g6, "{text}");
    // Within groep 4 of the new signals: Emma B. before Sanne V. (sorted by shown name).
    let emma = text.find("- Emma B.: geen groei").expect("emma");
    let sanne = text.find("- Sanne V.: drie keer V(E) op de DMT").expect("sanne");
    assert!(g4 < emma && emma < sanne && sanne < g6, "{text}");
    for n in 1..=5 {
        assert!(text.contains(&format!("Uitleg bij signaal {n}.")), "{text}");
        assert!(d.html.contains(&format!("Uitleg bij signaal {n}.")), "{}", d.html);
    }
    assert!(
        text.contains("NIEUWE SIGNALEN") && text.contains("OPEN ED-CHECKS"),
        "{text}"
    );
    assert!(text.contains("evaluatie te laat"), "{text}");
    assert!(
        text.contains("https://zorgsignaal.example/scholen/11ZW"),
        "{text}"
    );
    assert!(
        d.html
            .contains("href=\"https:&#x2f;&#x2f;zorgsignaal.example&#x2f;scholen&#x2f;11ZW\"")
            || d.html
                .contains("href=\"https://zorgsignaal.example/scholen/11ZW\""),
        "{}",
        d.html
    );
    assert_eq!(d.new_items, 4);
    assert!(d.has_new_high);
}

#[test]
fn subject_counts_news_and_names_no_pupil() {
    let d = build(&sample(), PupilNames::RoepnaamInitial);
    assert_eq!(
        d.subject,
        "Zorgsignaal: 3 nieuwe signalen en 1 ED-check voor OBS De Klimop (ma 30 nov)"
    );
    for name in ["Sanne", "Daan", "Emma", "Vries", "Kuipers", "Bakker"] {
        assert!(!d.subject.contains(name), "{}", d.subject);
    }
}

#[test]
fn never_the_full_surname() {
    for names in [PupilNames::RoepnaamInitial, PupilNames::Initials] {
        let d = build(&sample(), names);
        for surname in ["Vries", "de Vries", "Kuipers", "Bakker"] {
            assert!(!d.text.contains(surname), "{surname} in {}", d.text);
            assert!(!d.html.contains(surname), "{surname} in {}", d.html);
        }
    }
}

#[test]
fn initials_setting_hides_the_roepnaam() {
    let d = build(&sample(), PupilNames::Initials);
    assert!(d.text.contains("- S.V.: drie keer V(E)"), "{}", d.text);
    assert!(d.text.contains("- D.K.:"), "{}", d.text);
    for given in ["Sanne", "Daan", "Emma"] {
        assert!(!d.text.contains(given) && !d.html.contains(given), "{given}");
    }
}

#[test]
fn no_news_no_mail() {
    let empty = DigestInput::default();
    assert!(
        build_digest(
            &school(),
            "ib@x.example",
            &empty,
            monday(),
            &policy(PupilNames::Initials)
        )
        .expect("render")
        .is_none()
    );
    // Still-open evaluations alone are no news.
    let old = DigestInput {
        items: vec![item(
            4,
            ItemKind::EvaluationOverdue,
            pupil("p2", "Daan", None, "Kuipers"),
            6,
            "plan_evaluation_overdue",
            Severity::Medium,
            false,
        )],
    };
    assert!(
        build_digest(
            &school(),
            "ib@x.example",
            &old,
            monday(),
            &policy(PupilNames::Initials)
        )
        .expect("render")
        .is_none()
    );
    assert!(!old.has_new_high());
}

#[test]
fn html_escapes_what_it_shows() {
    let mut input = sample();
    input.items[0].explanation = "Score <V-> & verder".into();
    let d = build(&input, PupilNames::RoepnaamInitial);
    assert!(
        d.html.contains("Score &#60;V-&#62; &#38; verder")
            || d.html.contains("Score &lt;V-&gt; &amp; verder"),
        "{}",
        d.html
    );
    assert!(d.text.contains("Score <V-> & verder"));
}

#[test]
fn no_link_without_dashboard_url() {
    let p = DigestPolicy {
        pupil_names: PupilNames::RoepnaamInitial,
        dashboard_url: " ".into(),
    };
    let d = build_digest(&school(), "ib@x.example", &sample(), monday(), &p)
        .expect("render")
        .expect("news");
    assert!(!d.text.contains("/scholen/"), "{}", d.text);
}

fn enabled() -> MailSettings {
    MailSettings {
        enabled: true,
        ..MailSettings::default()
    }
}

#[test]
fn quiet_on_weekends_in_amsterdam() {
    let mail = enabled();
    // Friday 23:30 UTC is Saturday 00:30 in Amsterdam (winter time).
    let fri_late = Utc
        .with_ymd_and_hms(2026, 11, 27, 23, 30, 0)
        .single()
        .expect("time");
    assert_eq!(quiet_reason(&mail, fri_late), Some(Quiet::Weekend));
    let sunday = Utc
        .with_ymd_and_hms(2026, 11, 29, 10, 0, 0)
        .single()
        .expect("time");
    assert_eq!(quiet_reason(&mail, sunday), Some(Quiet::Weekend));
    // Sunday 23:30 UTC is Monday 00:30 in Amsterdam.
    let sun_late = Utc
        .with_ymd_and_hms(2026, 11, 29, 23, 30, 0)
        .single()
        .expect("time");
    assert_eq!(quiet_reason(&mail, sun_late), None);
    let monday = Utc
        .with_ymd_and_hms(2026, 11, 30, 6, 30, 0)
        .single()
        .expect("time");
    assert_eq!(quiet_reason(&mail, monday), None);
}

#[test]
fn quiet_in_holidays_and_when_disabled() {
    let mut mail = enabled();
    mail.holidays.push(Holiday {
        from: NaiveDate::from_ymd_opt(2026, 12, 21).expect("date"),
        to: NaiveDate::from_ymd_opt(2027, 1, 1).expect("date"),
        name: "kerstvakantie".into(),
    });
    let first = Utc
        .with_ymd_and_hms(2026, 12, 21, 6, 30, 0)
        .single()
        .expect("time");
    assert_eq!(
        quiet_reason(&mail, first),
        Some(Quiet::Holiday("kerstvakantie".into()))
    );
    let last = Utc.with_ymd_and_hms(2027, 1, 1, 6, 30, 0).single().expect("time");
    assert_eq!(
        quiet_reason(&mail, last),
        Some(Quiet::Holiday("kerstvakantie".into()))
    );
    let before = Utc
        .with_ymd_and_hms(2026, 12, 18, 6, 30, 0)
        .single()
        .expect("time");
    assert_eq!(quiet_reason(&mail, before), None);
    let after = Utc.with_ymd_and_hms(2027, 1, 4, 6, 30, 0).single().expect("time");
    assert_eq!(quiet_reason(&mail, after), None);
    mail.enabled = false;
    assert_eq!(quiet_reason(&mail, after), Some(Quiet::Disabled));
}

#[test]
fn names_quoted_in_an_explanation_are_shortened() {
    let mut input = sample();
    input.items[0].explanation =
        "De evaluatie van het handelingsplan 'Lezen Sanne de Vries' ontbreekt; zie ook plan Vries.".into();
    let d = build(&input, PupilNames::RoepnaamInitial);
    assert!(d.text.contains("'Lezen Sanne V.'"), "{}", d.text);
    assert!(d.text.contains("zie ook plan V."), "{}", d.text);
    assert!(!d.text.contains("Vries") && !d.html.contains("Vries"));
    let d = build(&input, PupilNames::Initials);
    assert!(d.text.contains("'Lezen S.V.'"), "{}", d.text);
    assert!(
        !d.text.contains("Sanne") && !d.html.contains("Sanne"),
        "{}",
        d.text
    );
}
