//! Unit tests of the pure digest and the quiet times.

use chrono::{NaiveDate, TimeZone, Utc};

use super::compose::{build_digest, build_start_overview};
use super::digest::{
    DigestInput, DigestItem, DigestPolicy, ItemKind, MAX_NEW_LINES, MAX_OVERVIEW_LINES, MAX_REPEAT_LINES,
    MailKind,
};
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
        group: None,
        rule: rule.into(),
        domain: Some(LearningDomain::WordReading),
        severity,
        explanation: format!("Uitleg bij signaal {id}."),
        opened_on: monday() - chrono::Days::new(id as u64),
        open: true,
        is_new: new,
        repeat: false,
        long_open: false,
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
    build_digest(
        &school(),
        "ib@klimop.example",
        input,
        monday(),
        &policy(names),
        MailKind::Digest,
    )
    .expect("render")
    .expect("there is news")
}

#[test]
fn one_line_per_pupil_worst_first_grouped_with_a_dashboard_link() {
    let d = build(&sample(), PupilNames::RoepnaamInitial);
    let text = &d.text;
    // Sanne (high) first: her group before Daan's; all her new signals on one line, worst first.
    let g4 = text.find("Groep 4").expect("groep 4");
    let g6 = text.find("Groep 6").expect("groep 6");
    assert!(g4 < g6, "{text}");
    let sanne = text
        .find("- Sanne V.: ED-dossier nakijken (woordlezen (DMT), prioriteit hoog); drie keer V(E) op de DMT")
        .or_else(|| {
            text.find("- Sanne V.: drie keer V(E) op de DMT (woordlezen (DMT), prioriteit hoog); EED-dossier")
        })
        .expect("sanne on one line");
    let emma = text.find("- Emma B.: geen groei").expect("emma");
    assert!(g4 < sanne && sanne < emma && emma < g6, "{text}");
    assert_eq!(text.matches("- Sanne V.").count(), 1, "{text}");
    // Only the new items: Daan's overdue evaluation (not new, not due for a repeat) is not named.
    assert!(!text.contains("evaluatie te laat"), "{text}");
    assert!(text.contains("NIEUW") && !text.contains("NOG OPEN"), "{text}");
    assert!(
        text.contains("https://zorgsignaal.example/scholen/11ZW"),
        "{text}"
    );
    assert_eq!(d.new_items, 4);
    assert_eq!(d.lines, 3);
    assert!(d.has_new_high);
    let mut named: Vec<i64> = d.named.iter().map(|n| n.0).collect();
    named.sort_unstable();
    assert_eq!(named, vec![1, 2, 3, 5]);
}

#[test]
fn at_most_fifteen_lines_the_rest_counted_and_not_marked_as_mailed() {
    let items: Vec<DigestItem> = (1..=40)
        .map(|n| {
            let mut i = item(
                n,
                ItemKind::NewSignal,
                pupil(&format!("p{n}"), "Kim", None, "Jansen"),
                5,
                if n % 2 == 0 { "level_drop" } else { "no_growth" },
                if n == 40 { Severity::High } else { Severity::Medium },
                true,
            );
            i.group = Some(if n % 3 == 0 { "5b".into() } else { "5a".into() });
            i
        })
        .collect();
    let d = build(&DigestInput { items }, PupilNames::RoepnaamInitial);
    assert_eq!(d.lines, MAX_NEW_LINES);
    assert_eq!(d.named.len(), MAX_NEW_LINES);
    // The high one leads although it is the youngest; then oldest first (40 days old is n=39).
    assert_eq!(d.named[0].0, 40);
    assert_eq!(d.named[1].0, 39);
    assert!(
        d.text.contains("Nog 25 nieuwe signalen bij 25 leerlingen"),
        "{}",
        d.text
    );
    // 5a and 5b are separate groups.
    assert!(
        d.text.contains("Groep 5a") && d.text.contains("Groep 5b"),
        "{}",
        d.text
    );
    assert_eq!(d.text.matches("\n- ").count(), MAX_NEW_LINES, "{}", d.text);
}

/// Issue 17: the bespreekpunten of a group (two V's in a row, a drop, …) are one line of the
/// digest, not one per pupil; a pupil's other items keep his own line; all are named (mailed).
#[test]
fn bespreekpunten_are_one_line_per_group() {
    let mut items: Vec<DigestItem> = (1..=9)
        .map(|n| {
            let mut i = item(
                n,
                ItemKind::DiscussionPoint,
                pupil(&format!("p{n}"), &format!("Kim{n}"), None, "Jansen"),
                5,
                if n % 2 == 0 {
                    "lowest_level_repeated"
                } else {
                    "social_emotional_low"
                },
                Severity::Medium,
                true,
            );
            i.group = Some(if n <= 6 { "5a".into() } else { "5b".into() });
            i
        })
        .collect();
    // Kim1 also has a second bespreekpunt and a late evaluation: his own line for that one.
    let mut second = item(
        10,
        ItemKind::DiscussionPoint,
        pupil("p1", "Kim1", None, "Jansen"),
        5,
        "level_drop",
        Severity::Medium,
        true,
    );
    second.group = Some("5a".into());
    items.push(second);
    let mut late = item(
        11,
        ItemKind::EvaluationOverdue,
        pupil("p1", "Kim1", None, "Jansen"),
        5,
        "plan_evaluation_overdue",
        Severity::Medium,
        true,
    );
    late.group = Some("5a".into());
    items.push(late);
    let d = build(&DigestInput { items }, PupilNames::RoepnaamInitial);
    assert_eq!(d.lines, 3, "{}", d.text);
    assert_eq!(d.discussion_groups.len(), 2, "{}", d.text);
    assert_eq!(d.new_items, 11);
    assert_eq!(d.named.len(), 11);
    let line_5a = d
        .text
        .lines()
        .find(|l| l.starts_with("- Groepsbespreking: ") && l.contains("Kim2 J."))
        .expect("group line of 5a");
    for n in 1..=6 {
        assert!(line_5a.contains(&format!("Kim{n} J. (")), "{line_5a}");
    }
    assert_eq!(
        line_5a.matches("Kim1 J.").count(),
        1,
        "one mention per pupil: {line_5a}"
    );
    assert!(
        line_5a.contains("daling van twee niveaus of meer, woordlezen (DMT)"),
        "{line_5a}"
    );
    assert!(!line_5a.contains("Kim7"), "5b is its own line: {line_5a}");
    assert!(
        d.text
            .contains("6 leerlingen om te bespreken in de groeps- of leerlingbespreking"),
        "{}",
        d.text
    );
    assert!(d.text.contains("- Kim1 J.: evaluatie te laat"), "{}", d.text);
    assert!(
        d.subject.contains("10 bespreekpunten en 1 evaluatie"),
        "{}",
        d.subject
    );
}

#[test]
fn repeats_go_into_nog_open() {
    let mut input = sample();
    input.items[3].repeat = true;
    let d = build(&input, PupilNames::RoepnaamInitial);
    let open = d.text.find("NOG OPEN").expect("nog open");
    let daan = d
        .text
        .rfind("- Daan K.: evaluatie te laat")
        .expect("daan repeated");
    assert!(open < daan, "{}", d.text);
    assert_eq!(d.repeat_lines, 1);
    assert!(d.named.iter().any(|n| n.0 == 4));
}

/// Issue 17: at most 15 lines in all; "nog open" is short (at most five) and only fills what the
/// news leaves; the rest is counted and not marked as mailed, so it comes on a later day.
#[test]
fn nog_open_is_short_and_fits_under_the_fifteen_lines() {
    for (news, repeats, shown) in [(3, 8, MAX_REPEAT_LINES), (12, 8, 3), (15, 8, 0), (2, 1, 1)] {
        let items: Vec<DigestItem> = (1..=news + repeats)
            .map(|n| {
                let is_new = n <= news;
                let mut i = item(
                    n as i64,
                    if is_new {
                        ItemKind::NewSignal
                    } else {
                        ItemKind::EvaluationOverdue
                    },
                    pupil(&format!("p{n}"), "Kim", None, "Jansen"),
                    5,
                    if is_new {
                        "level_drop"
                    } else {
                        "plan_evaluation_overdue"
                    },
                    Severity::Medium,
                    is_new,
                );
                i.repeat = !is_new;
                i
            })
            .collect();
        let d = build(&DigestInput { items }, PupilNames::RoepnaamInitial);
        assert_eq!(d.repeat_lines, shown, "{news} news, {repeats} open");
        assert_eq!(d.lines, news + shown, "{news} news, {repeats} open");
        assert!(d.lines <= MAX_NEW_LINES);
        let named_repeats = d.named.iter().filter(|n| n.0 > news as i64).count();
        assert_eq!(named_repeats, shown, "only what is shown counts as mailed");
    }
}

#[test]
fn start_overview_has_at_most_25_lines_then_counts_per_rule_and_group() {
    let items: Vec<DigestItem> = (1..=60)
        .map(|n| {
            let mut i = item(
                n,
                ItemKind::NewSignal,
                pupil(&format!("p{n}"), "Kim", None, "Jansen"),
                4,
                "level_drop",
                if n > 55 { Severity::High } else { Severity::Low },
                false,
            );
            i.group = Some(if n % 2 == 0 { "4a".into() } else { "4/5".into() });
            i
        })
        .collect();
    let input = DigestInput { items };
    let d = build_start_overview(
        &school(),
        "ib@x.example",
        &input,
        monday(),
        &policy(PupilNames::RoepnaamInitial),
    )
    .expect("render");
    assert_eq!(d.kind, MailKind::StartOverview);
    assert_eq!(d.lines, MAX_OVERVIEW_LINES);
    assert_eq!(d.text.matches("\n- ").count(), MAX_OVERVIEW_LINES, "{}", d.text);
    assert_eq!(d.named.len(), 60, "every active signal counts as mailed");
    assert!(
        d.subject
            .starts_with("Zorgsignaal: startoverzicht voor OBS De Klimop"),
        "{}",
        d.subject
    );
    assert!(
        d.text.contains("Per regel: daling van twee niveaus of meer 60."),
        "{}",
        d.text
    );
    assert!(
        d.text.contains("Per groep: Groep 4/5 30, Groep 4a 30."),
        "{}",
        d.text
    );
    assert!(d.text.contains("En nog 35 leerlingen"), "{}", d.text);
    // High first.
    let first = d.text.find("\n- ").expect("a line");
    assert!(
        d.text[first..]
            .starts_with("\n- Kim J.: daling van twee niveaus of meer (woordlezen (DMT), prioriteit hoog)"),
        "{}",
        d.text
    );
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
    assert!(d.text.contains("- S.V.: ED-dossier nakijken"), "{}", d.text);
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
            &policy(PupilNames::Initials),
            MailKind::Digest
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
            &policy(PupilNames::Initials),
            MailKind::Digest
        )
        .expect("render")
        .is_none()
    );
    assert!(!old.has_new_high());
}

#[test]
fn html_escapes_what_it_shows() {
    let mut input = sample();
    input.items[4].explanation = "Score <V-> & verder".into();
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
    let d = build_digest(
        &school(),
        "ib@x.example",
        &sample(),
        monday(),
        &p,
        MailKind::Digest,
    )
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
    input.items[4].explanation =
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

/// Issue 16 item 14: the digest, the start overview and their subjects have singular and plural
/// right, decimal commas and Dutch dates, for one pupil, a few and more than fit.
#[test]
fn mail_texts_are_dutch_for_every_count() {
    use crate::rules::text::dutch_text_problems;
    for n in [1, 2, 16, 17, 26, 27] {
        let items: Vec<DigestItem> = (1..=n)
            .map(|k| {
                let mut i = item(
                    k,
                    if k % 3 == 0 {
                        ItemKind::EedCheck
                    } else {
                        ItemKind::NewSignal
                    },
                    pupil(&format!("p{k}"), "Kim", None, "Jansen"),
                    4,
                    "level_drop",
                    if k % 2 == 0 {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    true,
                );
                i.group = Some(format!("{}a", 3 + k % 5));
                i
            })
            .collect();
        let input = DigestInput { items };
        let digest = build(&input, PupilNames::RoepnaamInitial);
        let overview = build_start_overview(
            &school(),
            "ib@x.example",
            &input,
            monday(),
            &policy(PupilNames::RoepnaamInitial),
        )
        .expect("render");
        for d in [&digest, &overview] {
            let html_text = crate::rules::text::html_visible_text(&d.html);
            for t in [&d.subject, &d.text, &html_text] {
                assert_eq!(dutch_text_problems(t), Vec::<String>::new(), "{n} items: {t}");
            }
        }
    }
}
