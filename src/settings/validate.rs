//! Checks on a parsed [`Settings`] that types cannot express; every issue names its dotted key.

use std::collections::{BTreeMap, HashSet};
use std::str::FromStr;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

use super::{ConfigIssue, OAuthCredentials, OAuthSourceSettings, Settings};
use crate::domain::CareLadder;
use crate::rules::RuleParams;

/// A holiday this long or longer is a typo (a summer holiday is six weeks).
const MAX_HOLIDAY_DAYS: i64 = 70;

/// Minimum length of the pseudonymisation key.
const MIN_KEY_CHARS: usize = 16;

struct Issues(Vec<ConfigIssue>);

impl Issues {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.0.push(ConfigIssue::new(key, message));
    }

    fn url(&mut self, key: &str, value: &str) {
        match reqwest::Url::parse(value) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {}
            Ok(u) => self.push(
                key,
                format!("expected an http(s) URL, found scheme {:?}", u.scheme()),
            ),
            Err(e) => self.push(key, format!("invalid URL {value:?}: {e}")),
        }
    }

    fn email(&mut self, key: &str, value: &str) {
        if lettre::Address::from_str(value).is_err() {
            self.push(key, format!("{value:?} is not an e-mail address"));
        }
    }

    fn emails(&mut self, key: &str, values: &[String]) {
        for (i, v) in values.iter().enumerate() {
            self.email(&format!("{key}[{i}]"), v);
        }
    }

    fn positive(&mut self, key: &str, d: Duration) {
        if d.is_zero() {
            self.push(key, "must be longer than zero");
        }
    }

    fn at_least(&mut self, key: &str, value: u64, min: u64) {
        if value < min {
            self.push(key, format!("must be at least {min}, found {value}"));
        }
    }

    fn at_most(&mut self, key: &str, value: u64, max: u64) {
        if value > max {
            self.push(key, format!("must be at most {max}, found {value}"));
        }
    }

    fn secret(&mut self, key: &str, value: &SecretString) {
        if value.expose_secret().trim().is_empty() {
            self.push(key, "must be set (in the file or through the environment)");
        }
    }
}

impl Settings {
    /// Checks everything types cannot: uniqueness, URLs, addresses, ladders, windows, cron, etc.
    pub fn validate(&self) -> Result<(), Vec<ConfigIssue>> {
        let issues = issues(self);
        if issues.is_empty() { Ok(()) } else { Err(issues) }
    }
}

/// All issues of `s`, in config order.
pub(super) fn issues(s: &Settings) -> Vec<ConfigIssue> {
    let mut v = Issues(Vec::new());
    store(s, &mut v);
    if s.board.name.trim().is_empty() {
        v.push("board.name", "must not be empty");
    }
    v.emails("board.report_emails", &s.board.report_emails);
    if s.pseudonymisation.key.expose_secret().chars().count() < MIN_KEY_CHARS {
        v.push(
            "pseudonymisation.key",
            format!("must be at least {MIN_KEY_CHARS} characters"),
        );
    }
    care_ladders(s, &mut v);
    schools(s, &mut v);
    sources(s, &mut v);
    v.at_least("sync.page_size", u64::from(s.sync.page_size), 1);
    v.positive("sync.full_reconcile_interval", s.sync.full_reconcile_interval);
    if let Some(concurrency) = s.sync.concurrency {
        v.at_least("sync.concurrency", u64::from(concurrency), 1);
        v.at_most("sync.concurrency", u64::from(concurrency), 64);
    }
    rules(s, &mut v);
    mail(s, &mut v);
    v.at_least("schedule.job_lease", s.schedule.job_lease.as_secs(), 3);
    v.at_most("schedule.job_retries", u64::from(s.schedule.job_retries), 10);
    v.positive("schedule.job_retry_delay", s.schedule.job_retry_delay);
    for (name, expr) in s.schedule.entries() {
        if let Err(e) = expr.parse::<croner::Cron>() {
            v.push(
                format!("schedule.{name}"),
                format!("invalid cron expression {expr:?}: {e}"),
            );
        }
    }
    v.at_least("outbox.max_attempts", u64::from(s.outbox.max_attempts), 1);
    v.positive("outbox.retry_base_delay", s.outbox.retry_base_delay);
    if s.outbox.retry_max_delay < s.outbox.retry_base_delay {
        v.push(
            "outbox.retry_max_delay",
            "must not be shorter than outbox.retry_base_delay",
        );
    }
    v.at_least("outbox.lease", s.outbox.lease.as_secs(), 3);
    v.positive(
        "retention.pupil_data_after_leaving",
        s.retention.pupil_data_after_leaving,
    );
    v.positive("retention.quarantine_after", s.retention.quarantine_after);
    v.positive("retention.held_records_after", s.retention.held_records_after);
    v.positive("retention.audit_log_after", s.retention.audit_log_after);
    v.positive("retention.jobs_after", s.retention.jobs_after);
    v.positive("retention.mail_files_after", s.retention.mail_files_after);
    v.at_least(
        "report.small_count_threshold",
        u64::from(s.report.small_count_threshold),
        1,
    );
    v.url("api.public_url", &s.api.public_url);
    v.positive("api.session_ttl", s.api.session_ttl);
    v.positive("api.login_window", s.api.login_window);
    v.at_least("api.login_max_failures", u64::from(s.api.login_max_failures), 1);
    v.at_least(
        "api.login_max_failures_per_ip",
        u64::from(s.api.login_max_failures_per_ip),
        1,
    );
    v.positive("api.token_ttl", s.api.token_ttl);
    v.positive("api.snooze_max", s.api.snooze_max);
    if let Err(e) = crate::telemetry::filter(&s.telemetry.level, 0) {
        v.push("telemetry.level", e.to_string());
    }
    v.0
}

fn store(s: &Settings, v: &mut Issues) {
    let scheme = s.store.url.scheme();
    if !matches!(scheme.as_str(), "sqlite" | "postgres" | "postgresql") {
        v.push(
            "store.url",
            format!(
                "expected sqlite://… or postgres://…, found {}",
                s.store.url.redacted()
            ),
        );
    } else if scheme != "sqlite" && reqwest::Url::parse(s.store.url.expose()).is_err() {
        v.push("store.url", format!("invalid URL {}", s.store.url.redacted()));
    }
}

fn care_ladders(s: &Settings, v: &mut Issues) {
    let presets: HashSet<String> = CareLadder::presets().into_iter().map(|l| l.name).collect();
    let mut seen = HashSet::new();
    for (i, ladder) in s.care_ladders.iter().enumerate() {
        let key = format!("care_ladders[{i}]");
        if ladder.name.trim().is_empty() {
            v.push(format!("{key}.name"), "must not be empty");
        } else if presets.contains(&ladder.name) {
            v.push(
                format!("{key}.name"),
                format!("{:?} is already a preset", ladder.name),
            );
        } else if !seen.insert(ladder.name.clone()) {
            v.push(
                format!("{key}.name"),
                format!("ladder {:?} defined twice", ladder.name),
            );
        }
        if ladder.levels.is_empty() {
            v.push(format!("{key}.levels"), "must have at least one level");
        }
        if let Some(n) = ladder.opp_evaluations_per_year {
            opp_per_year(v, &format!("{key}.opp_evaluations_per_year"), n);
        }
        let mut codes = HashSet::new();
        for (j, level) in ladder.levels.iter().enumerate() {
            if !codes.insert(level.code.to_ascii_uppercase()) {
                v.push(
                    format!("{key}.levels[{j}].code"),
                    format!("code {:?} appears twice", level.code),
                );
            }
            if !level.protocol_level.is_some_and(|p| (1..=4).contains(&p)) {
                v.push(
                    format!("{key}.levels[{j}].protocol_level"),
                    "required: the dyslexia-protocol level of this step, 1 (basis), 2 (extra in de \
                     groep), 3 (specifieke interventie) or 4 (extern)",
                );
            }
        }
    }
}

fn schools(s: &Settings, v: &mut Issues) {
    if s.schools.is_empty() {
        v.push("schools", "configure at least one school");
    }
    let mut first_index = BTreeMap::new();
    for (i, school) in s.schools.iter().enumerate() {
        let key = format!("schools[{i}]");
        let first = *first_index.entry(school.brin.clone()).or_insert(i);
        if first != i {
            v.push(
                format!("{key}.brin"),
                format!("BRIN {} already used by schools[{first}]", school.brin),
            );
        }
        if school.name.trim().is_empty() {
            v.push(format!("{key}.name"), "must not be empty");
        }
        if s.care_ladder(&school.care_ladder).is_none() {
            let mut known: Vec<String> = CareLadder::presets().into_iter().map(|l| l.name).collect();
            known.extend(s.care_ladders.iter().map(|l| l.name.clone()));
            v.push(
                format!("{key}.care_ladder"),
                format!(
                    "unknown care ladder {:?}; known: {}",
                    school.care_ladder,
                    known.join(", ")
                ),
            );
        }
        if school.ib_emails.is_empty() {
            v.push(format!("{key}.ib_emails"), "list at least one IB address");
        }
        v.emails(&format!("{key}.ib_emails"), &school.ib_emails);
        v.emails(&format!("{key}.directie_emails"), &school.directie_emails);
        for (j, h) in school.calendar.holidays.iter().enumerate() {
            let hkey = format!("{key}.calendar.holidays[{j}]");
            if h.from > h.to {
                v.push(hkey.clone(), format!("from {} is after to {}", h.from, h.to));
            } else if (h.to - h.from).num_days() >= MAX_HOLIDAY_DAYS {
                v.push(
                    hkey.clone(),
                    format!(
                        "{} to {} is longer than any school holiday ({MAX_HOLIDAY_DAYS} days or more); check the years",
                        h.from, h.to
                    ),
                );
            }
            if h.name.trim().is_empty() {
                v.push(format!("{hkey}.name"), "must not be empty");
            }
        }
        if let Some(gkv) = &school.parnassys_gkv {
            v.secret(&format!("{key}.parnassys_gkv.key"), &gkv.key);
        }
        let oauth = |v: &mut Issues, name: &str, c: &OAuthCredentials| {
            if c.client_id.trim().is_empty() {
                v.push(format!("{key}.{name}.client_id"), "must not be empty");
            }
            v.secret(&format!("{key}.{name}.client_secret"), &c.client_secret);
        };
        if let Some(c) = &school.parnassys {
            oauth(v, "parnassys", c);
        }
        if let Some(c) = &school.leeruniek {
            oauth(v, "leeruniek", c);
        }
        if let Some(u) = &school.uwlr {
            v.url(&format!("{key}.uwlr.url"), &u.url);
            v.secret(&format!("{key}.uwlr.key"), &u.key);
            if u.key.expose_secret().chars().count() > 64 {
                v.push(
                    format!("{key}.uwlr.key"),
                    "longer than the 64 characters UWLR allows",
                );
            }
        }
    }
}

/// A response cap below this would fail ordinary pages (an empty page is ~100 bytes).
const MIN_RESPONSE_BYTES: u64 = 64 * 1024;

fn sources(s: &Settings, v: &mut Issues) {
    let gkv = &s.sources.parnassys_gkv;
    // A disabled source may leave its URL empty, but whatever is written must be usable.
    if gkv.enabled || !gkv.base_url.is_empty() {
        v.url("sources.parnassys_gkv.base_url", &gkv.base_url);
    }
    if gkv.enabled && gkv.leveranciernaam.trim().is_empty() {
        v.push("sources.parnassys_gkv.leveranciernaam", "must not be empty");
    }
    v.positive("sources.parnassys_gkv.timeout", gkv.timeout);
    v.at_least(
        "sources.parnassys_gkv.max_response_bytes",
        gkv.max_response_bytes,
        MIN_RESPONSE_BYTES,
    );
    let uwlr = &s.sources.uwlr;
    if uwlr.enabled && uwlr.klantcode.trim().is_empty() {
        v.push("sources.uwlr.klantcode", "must not be empty");
    }
    if uwlr.klantcode.chars().count() > 64 || uwlr.klantnaam.chars().count() > 64 {
        v.push(
            "sources.uwlr",
            "klantcode and klantnaam are at most 64 characters",
        );
    }
    if uwlr.enabled && uwlr.klantnaam.trim().is_empty() {
        v.push("sources.uwlr.klantnaam", "must not be empty");
    }
    v.positive("sources.uwlr.timeout", uwlr.timeout);
    v.at_least(
        "sources.uwlr.max_response_bytes",
        uwlr.max_response_bytes,
        MIN_RESPONSE_BYTES,
    );
    oauth_source(v, "sources.parnassys", &s.sources.parnassys);
    oauth_source(v, "sources.leeruniek", &s.sources.leeruniek);
}

fn oauth_source(v: &mut Issues, key: &str, src: &OAuthSourceSettings) {
    if src.enabled || !src.base_url.is_empty() {
        v.url(&format!("{key}.base_url"), &src.base_url);
    }
    if src.enabled || !src.token_url.is_empty() {
        v.url(&format!("{key}.token_url"), &src.token_url);
    }
    v.positive(&format!("{key}.timeout"), src.timeout);
    v.at_least(
        &format!("{key}.max_response_bytes"),
        src.max_response_bytes,
        MIN_RESPONSE_BYTES,
    );
    v.at_least(
        &format!("{key}.rate_limit_per_second"),
        u64::from(src.rate_limit_per_second),
        1,
    );
    v.at_least(
        &format!("{key}.retry.max_attempts"),
        u64::from(src.retry.max_attempts),
        1,
    );
    v.positive(&format!("{key}.retry.max_total_time"), src.retry.max_total_time);
    v.at_least(
        &format!("{key}.circuit_breaker_threshold"),
        u64::from(src.circuit_breaker_threshold),
        1,
    );
}

fn rules(s: &Settings, v: &mut Issues) {
    rule_params(v, "rules", s.rules.board());
    for (brin, params) in s.rules.overrides() {
        let key = format!("rules.schools.{brin}");
        if s.school(brin).is_none() {
            v.push(key.clone(), format!("no school with BRIN {brin} in [[schools]]"));
        }
        rule_params(v, &key, params);
    }
}

fn rule_params(v: &mut Issues, key: &str, p: &RuleParams) {
    if let Err(e) = p.moment_windows.validate() {
        v.push(format!("{key}.moment_windows"), e);
    }
    let counts = [
        ("dmt_three_lowest.consecutive", p.dmt_three_lowest.consecutive),
        (
            "lowest_level_repeated.consecutive",
            p.lowest_level_repeated.consecutive,
        ),
        ("plan_ineffective.consecutive", p.plan_ineffective.consecutive),
        ("level_drop.min_drop", usize::from(p.level_drop.min_drop)),
        ("signal_without_plan.weeks", p.signal_without_plan.weeks as usize),
        ("avi_stagnation.rounds", usize::from(p.avi_stagnation.rounds)),
        (
            "reference_level_low.from_grade",
            usize::from(p.reference_level_low.from_grade),
        ),
        (
            "unauthorised_absence.weeks",
            p.unauthorised_absence.weeks as usize,
        ),
        ("frequent_sick_absence.times", p.frequent_sick_absence.times),
        (
            "frequent_sick_absence.weeks",
            p.frequent_sick_absence.weeks as usize,
        ),
        ("dyscalculia_check.consecutive", p.dyscalculia_check.consecutive),
        ("concern_notes.times", p.concern_notes.times),
        ("concern_notes.weeks", p.concern_notes.weeks as usize),
        (
            "social_emotional_low.consecutive",
            p.social_emotional_low.consecutive,
        ),
        (
            "dyscalculia_check.min_protocol_level",
            usize::from(p.dyscalculia_check.min_protocol_level),
        ),
        ("opp_not_drawn_up.weeks", p.opp_not_drawn_up.weeks as usize),
        (
            "opp_parents_agreement.weeks",
            p.opp_parents_agreement.weeks as usize,
        ),
    ];
    for (name, value) in counts {
        v.at_least(&format!("{key}.{name}"), value as u64, 1);
    }
    if let Some(n) = p.opp_yearly_evaluation.per_year {
        opp_per_year(v, &format!("{key}.opp_yearly_evaluation.per_year"), n);
    }
    if !p.no_growth.min_rise.is_finite() || p.no_growth.min_rise < 0.0 {
        v.push(format!("{key}.no_growth.min_rise"), "must be zero or more");
    }
    if !p.no_growth.margin_points.is_finite() || p.no_growth.margin_points < 0.0 {
        v.push(format!("{key}.no_growth.margin_points"), "must be zero or more");
    }
    let hours = p.unauthorised_absence.hours;
    if !hours.is_finite() || hours <= 0.0 || hours > 200.0 {
        v.push(
            format!("{key}.unauthorised_absence.hours"),
            "must be more than 0 and at most 200 (the law reports 16 hours)",
        );
    }
    let erwd = &p.dyscalculia_check;
    if !(1..=99).contains(&erwd.ttr_max_percentile) {
        v.push(
            format!("{key}.dyscalculia_check.ttr_max_percentile"),
            "must be from 1 to 99 (10 is the lowest 10 %)",
        );
    }
    if erwd.enabled && erwd.require_ttr && erwd.tempo_test_patterns.iter().all(|s| s.trim().is_empty()) {
        v.push(
            format!("{key}.dyscalculia_check.tempo_test_patterns"),
            "must name the tempotoets while require_ttr is on",
        );
    }
    if erwd.tempo_test_patterns.iter().any(|s| s.trim().is_empty()) {
        v.push(
            format!("{key}.dyscalculia_check.tempo_test_patterns"),
            "must not contain an empty pattern (it would match every test)",
        );
    }
    if erwd.intensive_protocol_level < erwd.min_protocol_level || erwd.intensive_protocol_level > 4 {
        v.push(
            format!("{key}.dyscalculia_check.intensive_protocol_level"),
            "must be at least min_protocol_level and at most 4",
        );
    }
    for (name, weeks) in [
        ("opp_not_drawn_up.weeks", p.opp_not_drawn_up.weeks),
        ("opp_parents_agreement.weeks", p.opp_parents_agreement.weeks),
    ] {
        if weeks > 40 {
            v.push(
                format!("{key}.{name}"),
                "must be at most 40 school weeks (a school year)",
            );
        }
    }
    if !(1..=4).contains(&p.social_emotional_drop.categories) {
        v.push(
            format!("{key}.social_emotional_drop.categories"),
            "must be from 1 to 4 (2: ZIEN! groen to rood; KanVAS has five categories)",
        );
    }
    if p.social_emotional_low.consecutive > 6 {
        v.push(
            format!("{key}.social_emotional_low.consecutive"),
            "must be at most 6 (three school years of two sittings)",
        );
    }
    let gifted = &p.gifted_candidate;
    if !(50..=99).contains(&gifted.min_percentile) {
        v.push(
            format!("{key}.gifted_candidate.min_percentile"),
            "must be from 50 to 99 (90 is the top 10 %, I+)",
        );
    }
    if gifted.enabled && gifted.domains.is_empty() {
        v.push(
            format!("{key}.gifted_candidate.domains"),
            "must name at least one domain while the rule is on",
        );
    }
    if gifted.plan_patterns.iter().any(|s| s.trim().is_empty()) {
        v.push(
            format!("{key}.gifted_candidate.plan_patterns"),
            "must not contain an empty pattern (it would match every plan)",
        );
    }
    let notes = &p.note_categories;
    for (name, list) in [
        ("reading_intervention", &notes.reading_intervention),
        ("mathematics_intervention", &notes.mathematics_intervention),
        ("concern", &notes.concern),
    ] {
        if list.iter().any(|s| s.trim().is_empty()) {
            v.push(
                format!("{key}.note_categories.{name}"),
                "must not contain an empty category name",
            );
        }
    }
    if p.concern_notes.enabled && notes.concern.is_empty() {
        v.push(
            format!("{key}.note_categories.concern"),
            "must name at least one note category while concern_notes is on",
        );
    }
}

/// OPP evaluations per school year: at least the law's once, at most six.
fn opp_per_year(v: &mut Issues, key: &str, n: u32) {
    let max = crate::rules::params::OppYearlyEvaluation::MAX_PER_YEAR;
    if !(1..=max).contains(&n) {
        v.push(
            key.to_owned(),
            format!("must be 1 to {max} (OPP evaluations with the parents per school year; the law asks at least one)"),
        );
    }
}

fn mail(s: &Settings, v: &mut Issues) {
    let m = &s.mail;
    if m.enabled {
        if m.host.trim().is_empty() {
            v.push("mail.host", "must be set when mail is enabled");
        }
        if m.port == 0 {
            v.push("mail.port", "must not be 0");
        }
        if m.from.trim().is_empty() {
            v.push("mail.from", "must be set when mail is enabled");
        }
        if !m.username.is_empty() {
            v.secret("mail.password", &m.password);
        }
    }
    if !m.from.is_empty() {
        v.email("mail.from", &m.from);
    }
    if !m.dashboard_url.is_empty() || m.enabled {
        v.url("mail.dashboard_url", &m.dashboard_url);
    }
    v.at_least("mail.max_per_ib_per_hour", u64::from(m.max_per_ib_per_hour), 1);
    for (i, h) in m.holidays.iter().enumerate() {
        if h.from > h.to {
            v.push(
                format!("mail.holidays[{i}]"),
                format!("from {} is after to {}", h.from, h.to),
            );
        }
    }
}
