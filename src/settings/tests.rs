//! Unit tests for loading, validating and the shipped documented configuration.

use std::collections::BTreeSet;

use super::*;

const MINIMAL: &str = r#"
[board]
name = "Stichting Test"
[pseudonymisation]
key = "0123456789abcdef-test"
[[schools]]
brin = "11ZW"
name = "School A"
care_ladder = "abcd"
ib_emails = ["ib@a.example.nl"]
"#;

fn load(extra: &str) -> Result<Settings, ConfigError> {
    Settings::from_toml_str(&format!("{MINIMAL}\n{extra}"))
}

fn issue_keys(extra: &str) -> Vec<String> {
    match load(extra) {
        Ok(_) => Vec::new(),
        Err(e) => e.issues.into_iter().map(|i| i.key).collect(),
    }
}

fn brin(s: &str) -> Brin {
    Brin::parse(s).expect("valid BRIN")
}

#[test]
fn minimal_config_loads_with_documented_defaults() {
    let s = load("").expect("minimal config is valid");
    assert_eq!(s.store.url.expose(), "sqlite://zorgsignaal.sqlite");
    assert_eq!(s.sources.parnassys.rate_limit_per_second, 5);
    assert_eq!(s.report.small_count_threshold, 5);
    assert_eq!(s.schedule.digest, "30 7 * * 1-5");
    assert_eq!(s.retention.pupil_data_after_leaving.as_secs() / 86_400, 730);
    assert_eq!(s.rules_for(&brin("11ZW")), RuleParams::default());
}

#[test]
fn shipped_config_is_valid() {
    let s = Settings::from_toml_str(DEFAULT_CONFIG_TOML).expect("shipped config validates");
    assert_eq!(s.schools.len(), 2);
    assert!(s.rules_for(&brin("23QK")).opp_yearly_evaluation.after_each_round);
    assert!(!s.rules_for(&brin("11ZW")).opp_yearly_evaluation.after_each_round);
    assert_eq!(
        s.rules.board(),
        &RuleParams::default(),
        "shipped board rules are the defaults"
    );
}

/// Key paths of a TOML value; array elements become `[]` so all elements share one path.
fn key_paths(value: &toml::Value, prefix: &str, out: &mut BTreeSet<String>) {
    match value {
        toml::Value::Table(t) => {
            for (k, v) in t {
                let path = if prefix.is_empty() {
                    k.clone()
                } else {
                    format!("{prefix}.{k}")
                };
                out.insert(path.clone());
                key_paths(v, &path, out);
            }
        }
        toml::Value::Array(items) => {
            for item in items {
                key_paths(item, &format!("{prefix}[]"), out);
            }
        }
        _ => {}
    }
}

#[test]
fn shipped_config_mentions_every_settings_field() {
    let s = Settings::from_toml_str(DEFAULT_CONFIG_TOML).expect("valid");
    let serialized = toml::Value::try_from(&s).expect("settings serialize");
    let file: toml::Value = toml::from_str(DEFAULT_CONFIG_TOML).expect("file is TOML");
    let (mut want, mut have) = (BTreeSet::new(), BTreeSet::new());
    key_paths(&serialized, "", &mut want);
    key_paths(&file, "", &mut have);
    let missing: Vec<_> = want.difference(&have).collect();
    assert!(
        missing.is_empty(),
        "keys missing from config/zorgsignaal.toml: {missing:?}"
    );
    // Sanity: the comparison sees nested and array keys.
    assert!(want.contains("schools[].parnassys.client_secret"));
    assert!(want.contains("sources.leeruniek.retry.max_total_time"));
    assert!(want.contains("rules.domain_mapping[].pattern"));
}

#[test]
fn every_key_in_the_shipped_config_has_a_comment() {
    let mut previous = "";
    for (n, line) in DEFAULT_CONFIG_TOML.lines().enumerate() {
        let line = line.trim();
        let is_key = !line.starts_with('#') && !line.starts_with('[') && line.contains('=');
        if is_key {
            assert!(
                previous.starts_with('#'),
                "line {} ({line}) has no comment directly above it",
                n + 1
            );
        }
        if !line.is_empty() {
            previous = line;
        }
    }
}

#[test]
fn unknown_keys_are_named() {
    assert_eq!(issue_keys("[sync]\npage_sise = 10"), ["sync.page_sise"]);
    assert_eq!(issue_keys("[mail]\ntls = \"ssl\""), ["mail.tls"]);
    assert_eq!(issue_keys("[store]\nurl = 5"), ["store.url"]);
}

#[test]
fn invalid_values_name_their_key() {
    let k =
        issue_keys("[[schools]]\nbrin = \"11ZW\"\nname = \"B\"\ncare_ladder = \"abcd\"\nib_emails = [\"x\"]");
    assert_eq!(k, ["schools[1].brin", "schools[1].ib_emails[0]"]);
    assert_eq!(
        issue_keys("[schedule]\ndigest = \"30 25 * * *\""),
        ["schedule.digest"]
    );
    assert_eq!(
        issue_keys("[sync]\nfull_reconcile_interval = \"0s\""),
        ["sync.full_reconcile_interval"]
    );
    assert_eq!(
        issue_keys("[sync]\nfull_reconcile_interval = \"soon\""),
        ["sync.full_reconcile_interval"]
    );
    assert_eq!(
        issue_keys("[mail]\nenabled = true\ndashboard_url = \"http://x\""),
        ["mail.host", "mail.from"]
    );
    assert_eq!(issue_keys("[store]\nurl = \"mysql://x/y\""), ["store.url"]);
    assert_eq!(
        issue_keys("[api]\npublic_url = \"not a url\""),
        ["api.public_url"]
    );
    assert_eq!(
        issue_keys("[api]\nlogin_max_failures = 0\nsession_ttl = \"0s\""),
        ["api.session_ttl", "api.login_max_failures"]
    );
    assert_eq!(
        issue_keys("[telemetry]\nlevel = \"zorgsignaal=loud\""),
        ["telemetry.level"]
    );
    assert_eq!(
        issue_keys("[outbox]\nmax_attempts = 0\nretry_base_delay = \"0s\""),
        ["outbox.max_attempts", "outbox.retry_base_delay"]
    );
    assert_eq!(
        issue_keys("[outbox]\nretry_base_delay = \"2m\"\nretry_max_delay = \"1m\""),
        ["outbox.retry_max_delay"]
    );
    assert_eq!(issue_keys("[outbox]\nlease = \"2s\""), ["outbox.lease"]);
    assert!(issue_keys("[outbox]\nmax_attempts = 3\nretry_base_delay = \"2s\"\nlease = \"3s\"").is_empty());
}

#[test]
fn schools_must_use_a_known_care_ladder() {
    let bad = MINIMAL.replace("care_ladder = \"abcd\"", "care_ladder = \"abcde\"");
    let err = Settings::from_toml_str(&bad).expect_err("unknown ladder");
    assert_eq!(err.issues[0].key, "schools[0].care_ladder");
    assert!(
        err.issues[0].message.contains("niveaus-1-6"),
        "{}",
        err.issues[0].message
    );

    let own = bad.clone()
        + "[[care_ladders]]\nname = \"abcde\"\n[[care_ladders.levels]]\ncode = \"1\"\nname = \"x\"\ntier = \"basis\"\nprotocol_level = 1\n";
    let s = Settings::from_toml_str(&own).expect("own ladder is known");
    assert_eq!(s.care_ladder("abcde").map(|l| l.levels.len()), Some(1));
}

#[test]
fn care_ladder_steps_need_a_protocol_level() {
    let missing = "[[care_ladders]]\nname = \"eigen\"\n[[care_ladders.levels]]\ncode = \"1\"\nname = \"x\"\ntier = \"basis\"\n\
                   [[care_ladders.levels]]\ncode = \"2\"\nname = \"y\"\ntier = \"basis\"\nprotocol_level = 5\n";
    assert_eq!(
        issue_keys(missing),
        [
            "care_ladders[0].levels[0].protocol_level",
            "care_ladders[0].levels[1].protocol_level"
        ]
    );
}

/// Issue 16 item 8: the OPP frequency per ladder and per school, 1 to 6 a year.
#[test]
fn the_opp_frequency_is_checked_per_ladder_and_per_school() {
    let bad = "[[care_ladders]]\nname = \"eigen\"\nopp_evaluations_per_year = 0\n[[care_ladders.levels]]\ncode = \"1\"\nname = \"x\"\ntier = \"basis\"\nprotocol_level = 1\n\
               [rules.opp_yearly_evaluation]\nper_year = 7\n";
    assert_eq!(
        issue_keys(bad),
        [
            "care_ladders[0].opp_evaluations_per_year",
            "rules.opp_yearly_evaluation.per_year"
        ]
    );
    let good = MINIMAL.to_owned()
        + "[[care_ladders]]\nname = \"eigen\"\nopp_evaluations_per_year = 3\n[[care_ladders.levels]]\ncode = \"1\"\nname = \"x\"\ntier = \"basis\"\nprotocol_level = 1\n";
    let s = Settings::from_toml_str(&good).expect("valid");
    assert_eq!(
        s.care_ladder("eigen").and_then(|l| l.opp_evaluations_per_year),
        Some(3)
    );
}

#[test]
fn care_ladders_may_not_shadow_presets() {
    let extra = "[[care_ladders]]\nname = \"abcd\"\nlevels = []\n";
    assert_eq!(
        issue_keys(extra),
        ["care_ladders[0].name", "care_ladders[0].levels"]
    );
}

#[test]
fn secrets_are_required_where_credentials_are_given() {
    let extra = "[schools.parnassys]\nclient_id = \"\"\nclient_secret = \"\"\n";
    assert_eq!(
        issue_keys(extra),
        [
            "schools[0].parnassys.client_id",
            "schools[0].parnassys.client_secret"
        ]
    );
    let short = MINIMAL.replace("0123456789abcdef-test", "short");
    let err = Settings::from_toml_str(&short).expect_err("short key");
    assert_eq!(err.issues[0].key, "pseudonymisation.key");
}

#[test]
fn secrets_never_show_in_debug_serialization_or_errors() {
    let extra = "[schools.leeruniek]\nclient_id = \"c\"\nclient_secret = \"geheim-LU-42\"\n\
                 [mail]\npassword = \"geheim-smtp-42\"\n[store]\nurl = \"postgres://u:geheim-db-42@h/d\"\n";
    let s = load(extra).expect("valid");
    let debug = format!("{s:?}");
    let toml = toml::to_string(&s).expect("serialize");
    for text in [debug, toml] {
        for secret in [
            "geheim-LU-42",
            "geheim-smtp-42",
            "geheim-db-42",
            "0123456789abcdef-test",
        ] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }
    // A wrongly typed secret is not echoed either.
    let err = Settings::from_toml_str(&MINIMAL.replace("\"0123456789abcdef-test\"", "12345678901234567"))
        .expect_err("wrong type");
    assert_eq!(err.issues[0].key, "pseudonymisation.key");
    assert!(!err.issues[0].message.contains("12345678901234567"));
}

#[test]
fn toml_syntax_errors_do_not_quote_the_line() {
    let err = Settings::from_toml_str("[mail]\npassword = \"geheim-99\nhost = 1").expect_err("bad TOML");
    let text = err.to_string();
    assert!(!text.contains("geheim-99"), "{text}");
    assert!(text.contains("line 2"), "{text}");
}

#[test]
fn school_overrides_merge_over_board_rules() {
    let extra = "[rules.level_drop]\nmin_drop = 3\n[rules.no_growth]\nenabled = false\n\
                 [rules.schools.11zw.level_drop]\nenabled = false\n";
    let s = load(extra).expect("valid");
    let board = s.rules.board();
    assert_eq!(board.level_drop.min_drop, 3);
    let school = s.rules_for(&brin("11ZW"));
    assert!(!school.level_drop.enabled, "override applies");
    assert_eq!(school.level_drop.min_drop, 3, "sibling key comes from the board");
    assert!(
        !school.no_growth.enabled,
        "untouched section comes from the board"
    );
    assert_eq!(school.dmt_three_lowest, board.dmt_three_lowest);
    assert_eq!(s.rules_for(&brin("99XX")), *board, "no override: board values");
}

#[test]
fn board_can_give_part_of_the_moment_windows() {
    let s = load("[rules.moment_windows]\nend_to = \"07-10\"\n").expect("valid");
    assert_eq!(s.rules.board().moment_windows.end_to.to_string(), "07-10");
    assert_eq!(s.rules.board().moment_windows.mid_from.to_string(), "12-15");
}

#[test]
fn override_can_replace_part_of_the_moment_windows() {
    let extra = "[rules.schools.11ZW.moment_windows]\nmid_from = \"01-10\"\n";
    let s = load(extra).expect("valid");
    let w = s.rules_for(&brin("11ZW")).moment_windows;
    assert_eq!(w.mid_from.to_string(), "01-10");
    assert_eq!(w.end_to.to_string(), "07-15");
}

#[test]
fn override_errors_name_the_full_key() {
    assert_eq!(
        issue_keys("[rules.schools.11ZW.level_drop]\nmin_dorp = 3\n"),
        ["rules.schools.11ZW.level_drop.min_dorp"]
    );
    assert_eq!(
        issue_keys("[rules.schools.11ZW.level_drop]\nmin_drop = \"veel\"\n"),
        ["rules.schools.11ZW.level_drop.min_drop"]
    );
    assert_eq!(
        issue_keys("[rules.level_dorp]\nenabled = true\n"),
        ["rules.level_dorp"]
    );
    assert_eq!(issue_keys("[rules.schools.XYZ]\n"), ["rules.schools.XYZ"]);
    assert_eq!(
        issue_keys("[rules.schools.12AB.level_drop]\nmin_drop = 3\n"),
        ["rules.schools.12AB"],
        "override for a school that is not configured"
    );
}

/// Issue 18 item 4: `gifted_candidate` has parameters and on/off per school, checked at start.
#[test]
fn the_gifted_rule_is_set_per_school_and_checked() {
    let extra = "[rules.schools.11ZW.gifted_candidate]\nmin_percentile = 95\n\
                 domains = [\"mathematics\", \"spelling\"]\nib_task = true\n";
    let s = load(extra).expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert_eq!(p.gifted_candidate.min_percentile, 95);
    assert_eq!(
        p.gifted_candidate.domains,
        [
            crate::domain::LearningDomain::Mathematics,
            crate::domain::LearningDomain::Spelling
        ]
    );
    assert!(p.gifted_candidate.ib_task && p.gifted_candidate.once_per_pupil);
    let board = s.rules.board();
    assert!(board.gifted_candidate.enabled && !board.gifted_candidate.ib_task);
    assert_eq!(board.gifted_candidate.min_percentile, 90);
    assert_eq!(
        issue_keys("[rules.schools.11ZW.gifted_candidate]\nmin_percentile = 100\n"),
        ["rules.schools.11ZW.gifted_candidate.min_percentile"]
    );
    assert_eq!(
        issue_keys("[rules.gifted_candidate]\ndomains = []\n"),
        ["rules.gifted_candidate.domains"]
    );
    assert_eq!(
        issue_keys("[rules.gifted_candidate]\nplan_patterns = [\"plusklas\", \" \"]\n"),
        ["rules.gifted_candidate.plan_patterns"]
    );
    assert!(load("[rules.gifted_candidate]\ndomains = [\"gym\"]\n").is_err());
}

/// Issue 18 item 6: the note categories and `concern_notes` are set per school and checked at
/// start, naming the key.
#[test]
fn note_categories_and_the_concern_rule_are_set_per_school_and_checked() {
    let extra = "[rules.schools.11ZW.note_categories]\nconcern = [\"Welbevinden\", \"Zorg\"]\n\
                 reading_intervention = [\"Leesbegeleiding\", \"Leesgroep\"]\n\
                 [rules.schools.11ZW.concern_notes]\ntimes = 4\nweeks = 8\n";
    let s = load(extra).expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert_eq!(p.note_categories.concern, ["Welbevinden", "Zorg"]);
    assert_eq!(
        p.note_categories.reading_intervention,
        ["Leesbegeleiding", "Leesgroep"]
    );
    assert_eq!(
        p.note_categories.mathematics_intervention,
        ["Rekenbegeleiding", "Rekeninterventie", "RT rekenen"]
    );
    assert_eq!((p.concern_notes.times, p.concern_notes.weeks), (4, 8));
    assert!(p.concern_notes.enabled);
    let board = s.rules.board();
    assert_eq!(board.note_categories.concern, ["Zorgen", "Welbevinden", "Gedrag"]);
    assert_eq!((board.concern_notes.times, board.concern_notes.weeks), (3, 6));
    assert_eq!(
        issue_keys("[rules.schools.11ZW.concern_notes]\ntimes = 0\n"),
        ["rules.schools.11ZW.concern_notes.times"]
    );
    assert_eq!(
        issue_keys("[rules.concern_notes]\nweeks = 0\n"),
        ["rules.concern_notes.weeks"]
    );
    assert_eq!(
        issue_keys("[rules.note_categories]\nconcern = []\n"),
        ["rules.note_categories.concern"]
    );
    assert!(
        issue_keys("[rules.note_categories]\nconcern = []\n[rules.concern_notes]\nenabled = false\n")
            .is_empty()
    );
    assert_eq!(
        issue_keys("[rules.note_categories]\nmathematics_intervention = [\"RT\", \" \"]\n"),
        ["rules.note_categories.mathematics_intervention"]
    );
    assert!(load("[rules.note_categories]\nzorgen = [\"x\"]\n").is_err());
}

/// Issue 18 item 3: `dyscalculia_check` has parameters and on/off per school, checked at start.
#[test]
fn the_dyscalculia_check_is_set_per_school_and_checked() {
    let extra = "[rules.schools.11ZW.dyscalculia_check]\nconsecutive = 2\nttr_max_percentile = 20\n\
                 tempo_test_patterns = [\"ttr\", \"rekensprint\"]\n";
    let s = load(extra).expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert_eq!(
        (
            p.dyscalculia_check.consecutive,
            p.dyscalculia_check.ttr_max_percentile
        ),
        (2, 20)
    );
    assert_eq!(p.dyscalculia_check.tempo_test_patterns, ["ttr", "rekensprint"]);
    assert_eq!(
        p.dyscalculia_check.min_intervention_weeks, 24,
        "the board's value stays"
    );
    assert_eq!(s.rules.board().dyscalculia_check.consecutive, 3);
    assert_eq!(
        issue_keys("[rules.schools.11ZW.dyscalculia_check]\nconsecutive = 0\n"),
        ["rules.schools.11ZW.dyscalculia_check.consecutive"]
    );
    assert_eq!(
        issue_keys("[rules.dyscalculia_check]\nttr_max_percentile = 0\n"),
        ["rules.dyscalculia_check.ttr_max_percentile"]
    );
    assert_eq!(
        issue_keys("[rules.dyscalculia_check]\ntempo_test_patterns = []\n"),
        ["rules.dyscalculia_check.tempo_test_patterns"]
    );
    assert_eq!(
        issue_keys("[rules.dyscalculia_check]\nintensive_protocol_level = 1\n"),
        ["rules.dyscalculia_check.intensive_protocol_level"]
    );
}

#[test]
fn invalid_moment_windows_are_reported_per_school() {
    let extra = "[rules.schools.11ZW.moment_windows]\nmid_to = \"06-01\"\n";
    assert_eq!(issue_keys(extra), ["rules.schools.11ZW.moment_windows"]);
}

/// Issue 18 item 2: the absence rules have parameters and on/off per school, checked at start.
#[test]
fn absence_rules_are_set_per_school_and_checked() {
    let extra = "[rules.schools.11ZW.frequent_sick_absence]\ntimes = 5\nweeks = 10\n\
                 [rules.schools.11ZW.unauthorised_absence]\nenabled = false\n";
    let s = load(extra).expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert_eq!(
        (p.frequent_sick_absence.times, p.frequent_sick_absence.weeks),
        (5, 10)
    );
    assert!(!p.unauthorised_absence.enabled);
    assert_eq!(p.unauthorised_absence.hours, 16.0, "the board's value stays");
    let board = s.rules.board();
    assert!(board.unauthorised_absence.enabled && board.frequent_sick_absence.times == 4);
    assert_eq!(
        issue_keys("[rules.schools.11ZW.frequent_sick_absence]\ntimes = 0\n"),
        ["rules.schools.11ZW.frequent_sick_absence.times"]
    );
    assert_eq!(
        issue_keys("[rules.unauthorised_absence]\nhours = -1.0\n"),
        ["rules.unauthorised_absence.hours"]
    );
}

/// Issue 18 item 1: the social-emotional rules have parameters and on/off per school, checked at
/// start, with errors that name the key.
#[test]
fn social_emotional_rules_are_set_per_school_and_checked() {
    let extra = "[rules.schools.11ZW.social_emotional_low]\nconsecutive = 3\n\
                 [rules.schools.11ZW.social_emotional_drop]\nenabled = false\n\
                 [rules.schools.11ZW.social_emotional_not_measured]\ndue_after = \"01-15\"\n";
    let s = load(extra).expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert_eq!(p.social_emotional_low.consecutive, 3);
    assert!(p.social_emotional_low.enabled, "the board's value stays");
    assert!(!p.social_emotional_drop.enabled);
    assert_eq!(p.social_emotional_drop.categories, 2, "the board's value stays");
    assert_eq!(
        p.social_emotional_not_measured.due_after,
        crate::domain::MonthDay::new(1, 15).expect("month-day")
    );
    let board = s.rules.board();
    assert!(board.social_emotional_drop.enabled && board.social_emotional_low.consecutive == 2);
    assert_eq!(
        board.social_emotional_not_measured.due_after,
        crate::domain::MonthDay::new(11, 15).expect("month-day")
    );
    assert_eq!(
        issue_keys("[rules.schools.11ZW.social_emotional_low]\nconsecutive = 0\n"),
        ["rules.schools.11ZW.social_emotional_low.consecutive"]
    );
    assert_eq!(
        issue_keys("[rules.social_emotional_low]\nconsecutive = 9\n"),
        ["rules.social_emotional_low.consecutive"]
    );
    assert_eq!(
        issue_keys("[rules.social_emotional_drop]\ncategories = 0\n"),
        ["rules.social_emotional_drop.categories"]
    );
    assert_eq!(
        issue_keys("[rules.schools.11ZW.social_emotional_drop]\ncategories = 5\n"),
        ["rules.schools.11ZW.social_emotional_drop.categories"]
    );
    assert!(load("[rules.social_emotional_not_measured]\ndue_after = \"11-31\"\n").is_err());
}

#[test]
fn duplicate_brins_are_rejected() {
    let extra = "[[schools]]\nbrin = \"11zw\"\nname = \"B\"\ncare_ladder = \"abcd\"\nib_emails = [\"ib@b.example.nl\"]";
    let err = load(extra).expect_err("duplicate");
    assert_eq!(err.issues[0].key, "schools[1].brin");
    assert!(err.issues[0].message.contains("schools[0]"));
}

#[test]
fn holidays_accept_toml_dates_and_must_be_ordered() {
    let ok = "[[mail.holidays]]\nfrom = 2026-10-17\nto = \"2026-10-25\"\nname = \"herfst\"\n";
    let s = load(ok).expect("valid");
    let day = chrono::NaiveDate::from_ymd_opt(2026, 10, 20).expect("date");
    assert!(s.mail.is_holiday(day));
    let bad = "[[mail.holidays]]\nfrom = 2026-10-25\nto = 2026-10-17\nname = \"herfst\"\n";
    assert_eq!(issue_keys(bad), ["mail.holidays[0]"]);
}

#[test]
fn school_calendar_is_typed_validated_and_named_by_key() {
    let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).expect("date");
    let ok = "[schools.calendar]\nregion = \"midden\"\n\
              [[schools.calendar.holidays]]\nfrom = 2026-06-19\nto = \"2026-06-19\"\nname = \"studiedag\"\n";
    let s = load(ok).expect("valid");
    let cal = s.school_calendar(&brin("11ZW"));
    assert!(!cal.is_school_day(day(2026, 8, 27)), "zomervakantie midden");
    assert!(!cal.is_school_day(day(2026, 6, 19)), "the explicit studiedag");
    assert!(cal.is_school_day(day(2026, 6, 18)));
    assert!(
        load("").expect("valid").school_calendar(&brin("11ZW")).is_empty(),
        "no calendar by default"
    );
    assert!(s.school_calendar(&brin("99XX")).is_empty(), "unknown school");

    assert_eq!(
        issue_keys("[schools.calendar]\nregion = \"oost\"\n"),
        ["schools[0].calendar.region"]
    );
    assert_eq!(
        issue_keys("[schools.calendar]\nregio = \"noord\"\n"),
        ["schools[0].calendar.regio"]
    );
    let backwards = "[[schools.calendar.holidays]]\nfrom = 2026-10-25\nto = 2026-10-17\nname = \"herfst\"\n";
    assert_eq!(issue_keys(backwards), ["schools[0].calendar.holidays[0]"]);
    let typo = "[[schools.calendar.holidays]]\nfrom = 2025-10-17\nto = 2026-10-25\nname = \"herfst\"\n";
    assert_eq!(issue_keys(typo), ["schools[0].calendar.holidays[0]"]);
    let unnamed = "[[schools.calendar.holidays]]\nfrom = 2026-10-17\nto = 2026-10-25\nname = \" \"\n";
    assert_eq!(issue_keys(unnamed), ["schools[0].calendar.holidays[0].name"]);
    let bad_date =
        "[[schools.calendar.holidays]]\nfrom = \"17-10-2026\"\nto = 2026-10-25\nname = \"herfst\"\n";
    assert_eq!(issue_keys(bad_date), ["schools[0].calendar.holidays[0].from"]);
}

#[test]
fn every_default_schedule_parses() {
    let s = ScheduleSettings::default();
    for (name, _) in s.entries() {
        assert!(matches!(s.cron(name), Some(Ok(_))), "{name}");
    }
    assert!(s.cron("nope").is_none());
}

#[test]
fn test_and_demo_configs_are_valid() {
    for (name, text) in [
        ("test.toml", include_str!("../../config/test.toml")),
        ("demo.toml", include_str!("../../config/demo.toml")),
    ] {
        if let Err(e) = Settings::from_toml_str(text) {
            panic!("config/{name} is invalid: {e}");
        }
    }
}

fn with_env(extra: &str, vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    Settings::from_toml_str_with_env(
        &format!("{MINIMAL}\n{extra}"),
        &EnvOverrides::from_pairs(vars.iter().copied()),
    )
}

#[test]
fn environment_overrides_win_and_keep_text_as_text() {
    use secrecy::ExposeSecret;
    let s = with_env(
        "",
        &[
            ("ZORGSIGNAAL__STORE__URL", "postgres://u:p@db/z"),
            ("ZORGSIGNAAL__PSEUDONYMISATION__KEY", "00123456789012345678"),
            ("ZORGSIGNAAL__SYNC__PAGE_SIZE", "500"),
            ("ZORGSIGNAAL__MAIL__ENABLED", "false"),
            ("ZORGSIGNAAL__SOURCES__PARNASSYS__SCOPES", "[a, b]"),
        ],
    )
    .expect("valid");
    assert_eq!(s.store.url.expose(), "postgres://u:p@db/z");
    assert_eq!(s.pseudonymisation.key.expose_secret(), "00123456789012345678");
    assert_eq!(s.sync.page_size, 500);
    assert_eq!(s.sources.parnassys.scopes, ["a", "b"]);
}

#[test]
fn environment_errors_name_the_key_and_the_environment() {
    let err = with_env("", &[("ZORGSIGNAAL__SYNC__PAGE_SIZE", "veel")]).expect_err("not a number");
    assert_eq!(err.issues[0].key, "sync.page_size");
    assert!(
        err.issues[0].message.contains("environment"),
        "{}",
        err.issues[0].message
    );
}

#[test]
fn environment_school_overrides_merge_with_the_files() {
    let file = "[rules.schools.11ZW.level_drop]\nenabled = false\n";
    let s = with_env(
        file,
        &[
            ("ZORGSIGNAAL__RULES__SCHOOLS__11ZW__LEVEL_DROP__MIN_DROP", "4"),
            ("ZORGSIGNAAL__RULES__NO_GROWTH__ENABLED", "false"),
        ],
    )
    .expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert!(!p.level_drop.enabled, "file override kept");
    assert_eq!(p.level_drop.min_drop, 4, "environment override applied");
    assert!(
        !p.no_growth.enabled,
        "board-level environment override reaches the school"
    );
    let err = with_env(
        "",
        &[("ZORGSIGNAAL__RULES__SCHOOLS__11ZW__LEVEL_DROP__MIN_DORP", "4")],
    )
    .expect_err("unknown key");
    assert_eq!(err.issues[0].key, "rules.schools.11zw.level_drop.min_dorp");
}

#[test]
fn board_report_default_runs_on_the_first_weekday_of_each_month() {
    use chrono::{Datelike, NaiveDate, TimeZone, Timelike, Weekday};
    let tz = ScheduleSettings::TIMEZONE;
    let cron = ScheduleSettings::default()
        .cron("board_report")
        .expect("board_report is a schedule")
        .expect("the default parses");
    let mut at = tz
        .with_ymd_and_hms(2025, 12, 31, 12, 0, 0)
        .single()
        .expect("time");
    // 36 months, including 1sts on a Saturday (2026-08-01) and a Sunday (2026-02-01).
    for _ in 0..36 {
        let next = cron.find_next_occurrence(&at, false).expect("next firing");
        let first_of_month =
            NaiveDate::from_ymd_opt(next.year(), next.month(), 1).expect("first of the month");
        let first_weekday = first_of_month
            .iter_days()
            .find(|d| !matches!(d.weekday(), Weekday::Sat | Weekday::Sun))
            .expect("a weekday");
        assert_eq!(next.date_naive(), first_weekday, "{next}");
        assert_eq!((next.hour(), next.minute()), (6, 30), "{next}");
        at = next;
    }
    assert_eq!(
        at.date_naive(),
        NaiveDate::from_ymd_opt(2028, 12, 1).expect("date")
    );
}

#[test]
fn the_configuration_file_is_looked_for_in_the_documented_order() {
    use super::{DEFAULT_CONFIG_PATH, SYSTEM_CONFIG_PATH, locate_config};
    use std::path::Path;
    let explicit = Path::new("/srv/z.toml");
    // --config (or $ZORGSIGNAAL_CONFIG, which clap puts there) wins, existing or not.
    assert_eq!(
        locate_config(Some(explicit), |_| false).expect("explicit"),
        explicit
    );
    // A checkout's own file before the system-wide one.
    assert_eq!(
        locate_config(None, |_| true).expect("checkout"),
        Path::new(DEFAULT_CONFIG_PATH)
    );
    assert_eq!(
        locate_config(None, |p| p == Path::new(SYSTEM_CONFIG_PATH)).expect("system"),
        Path::new(SYSTEM_CONFIG_PATH)
    );
    let err = locate_config(None, |_| false).expect_err("nothing found");
    let text = err.to_string();
    for needle in [
        DEFAULT_CONFIG_PATH,
        SYSTEM_CONFIG_PATH,
        "ZORGSIGNAAL_CONFIG",
        "--config",
    ] {
        assert!(text.contains(needle), "{needle} missing: {text}");
    }
}

#[test]
fn a_uwlr_school_needs_a_url_and_a_key_of_at_most_64_characters() {
    let school =
        |table: &str| format!("[schools.uwlr]\n{table}\n[sources.uwlr]\nenabled = true\nklantcode = \"ZS\"");
    let s = load(&school(
        "url = \"https://las.example.nl/uwlr\"\nkey = \"geheim-123\"",
    ))
    .expect("valid uwlr school");
    let u = s.schools[0].uwlr.as_ref().expect("uwlr");
    assert_eq!(secrecy::ExposeSecret::expose_secret(&u.key), "geheim-123");
    assert!(u.client_certificate.is_none());
    let shown = toml::to_string(&s).expect("serialize");
    assert!(!shown.contains("geheim-123"), "the key is redacted");
    assert_eq!(
        issue_keys(&school("url = \"ftp://las\"\nkey = \"\"")),
        ["schools[0].uwlr.url", "schools[0].uwlr.key"]
    );
    let long = "k".repeat(65);
    assert_eq!(
        issue_keys(&school(&format!("url = \"https://las\"\nkey = \"{long}\""))),
        ["schools[0].uwlr.key"]
    );
    assert_eq!(
        issue_keys("[sources.uwlr]\nenabled = true\nklantcode = \"\""),
        ["sources.uwlr.klantcode"]
    );
}

/// Issue 18 item 5: the OPP procedure's terms and on/off per school, checked at start with the
/// key named.
#[test]
fn the_opp_procedure_terms_are_set_per_school_and_checked() {
    let extra = "[rules.opp_parents_agreement]\nweeks = 2\n\
                 [rules.schools.11ZW.opp_not_drawn_up]\nweeks = 8\n\
                 [rules.schools.11ZW.opp_parents_agreement]\nenabled = false\n";
    let s = load(extra).expect("valid");
    let p = s.rules_for(&brin("11ZW"));
    assert_eq!(p.opp_not_drawn_up.weeks, 8);
    assert!(p.opp_not_drawn_up.enabled);
    assert!(!p.opp_parents_agreement.enabled);
    assert_eq!(
        p.opp_parents_agreement.weeks, 2,
        "the board's term, merged under the school's"
    );
    let board = s.rules.board();
    assert_eq!(
        (board.opp_not_drawn_up.weeks, board.opp_parents_agreement.weeks),
        (6, 2)
    );
    assert!(board.opp_parents_agreement.enabled);
    assert_eq!(
        issue_keys("[rules.opp_not_drawn_up]\nweeks = 0\n"),
        ["rules.opp_not_drawn_up.weeks"]
    );
    assert_eq!(
        issue_keys("[rules.schools.11ZW.opp_parents_agreement]\nweeks = 41\n"),
        ["rules.schools.11ZW.opp_parents_agreement.weeks"]
    );
    assert!(load("[rules.opp_parents_agreement]\ndays = 10\n").is_err());
}
