//! A whole world for API tests: a SQLite store with two schools (A = 11ZW, B = 22AB), a pupil
//! with DMT results, a `dmt_three_lowest` signal and a task in each, one user per role, and the
//! server on a loopback port 0. `Client` logs in through the real login form.

#![allow(dead_code)]

use std::sync::Arc;

use chrono::{NaiveDate, TimeZone, Utc};
use secrecy::SecretString;
use tokio_util::sync::CancellationToken;
use zorgsignaal::api::{self, AppState};
use zorgsignaal::domain::{
    Brin, Evidence, Grade, Group, Membership, Pupil, ReferenceScore, School, SchoolYear, Severity, Signal,
    SignalStatus, Source, Task, TaskKind, TestResult,
};
use zorgsignaal::settings::ApiSettings;
use zorgsignaal::store::{self, NewUser, PageBatch, Role, Store};

pub const PASSWORD: &str = "een lang wachtwoord";

pub fn brin_a() -> Brin {
    Brin::parse("11ZW").expect("brin")
}

pub fn brin_b() -> Brin {
    Brin::parse("22AB").expect("brin")
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).expect("date")
}

/// Ids of what was seeded in one school.
#[derive(Debug, Clone, Copy)]
pub struct Seeded {
    pub pupil: i64,
    pub signal: i64,
    pub outbox: i64,
}

pub struct World {
    pub store: Arc<dyn Store>,
    pub base: String,
    pub a: Seeded,
    pub b: Seeded,
    shutdown: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for World {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

async fn seed_school(store: &dyn Store, brin: &Brin, name: &str, pupil_name: &str) -> Seeded {
    store
        .upsert_school(&School {
            brin: brin.clone(),
            name: name.into(),
            care_ladder: "abcd".into(),
        })
        .await
        .expect("school");
    let year = SchoolYear::of_date(zorgsignaal::app::today_amsterdam());
    let pupil = Pupil {
        school: brin.clone(),
        source: Source::ParnassysGkv,
        external_id: "p1".into(),
        national_id_hash: None,
        given_name: pupil_name.into(),
        surname_prefix: Some("de".into()),
        surname: "Vries".into(),
        birth_date: Some(date(2017, 3, 4)),
        left_on: None,
        dyslexia_statement: None,
    };
    let group = Group {
        school: brin.clone(),
        external_id: "g5".into(),
        name: "Groep 5".into(),
        school_year: year,
    };
    let member = Membership {
        school: brin.clone(),
        pupil_external_id: "p1".into(),
        group_external_id: "g5".into(),
        grade: Grade::new(5).expect("grade"),
        from: year.first_day(),
        to: None,
    };
    store
        .apply_snapshot(
            brin,
            year,
            &[pupil],
            &[group],
            &[member],
            Utc.with_ymd_and_hms(2025, 9, 1, 3, 0, 0).single().expect("time"),
        )
        .await
        .expect("snapshot");
    let pupil_id = store
        .pupil_histories(brin)
        .await
        .expect("histories")
        .pop()
        .expect("pupil")
        .pupil
        .id;
    let mut page = PageBatch::new(Source::Parnassys, brin.clone(), "results");
    for (i, (taken_on, level)) in [
        (date(2024, 6, 10), "IV"),
        (date(2025, 1, 20), "V"),
        (date(2025, 6, 12), "V"),
        (date(2026, 1, 21), "V"),
    ]
    .into_iter()
    .enumerate()
    {
        page.results.push(TestResult {
            source: Source::Parnassys,
            external_id: format!("r{i}"),
            school: brin.clone(),
            pupil_external_id: "p1".into(),
            test_code: "DMT".into(),
            part_code: Some("K1".into()),
            test_name: "Drie-Minuten-Toets".into(),
            provider: Some("Cito".into()),
            taken_on,
            stated_moment: None,
            raw_score: Some(20.0),
            ability: None,
            reference_scores: vec![ReferenceScore::parse("IV", level).expect("level")],
        });
    }
    page.finished = true;
    store.apply_page(&page).await.expect("results");
    let signal = Signal {
        key: format!("dmt_three_lowest|{brin}|p1|word_reading"),
        rule: "dmt_three_lowest".into(),
        rule_version: 1,
        school: brin.clone(),
        pupil_external_id: "p1".into(),
        domain: Some(zorgsignaal::domain::LearningDomain::WordReading),
        severity: Severity::High,
        status: SignalStatus::Open,
        opened_on: date(2026, 1, 22),
        explanation: "Drie keer op rij V op de DMT: overweeg dyslexieonderzoek.".into(),
        evidence: (1..=3)
            .map(|i| Evidence {
                kind: "result".into(),
                id: format!("r{i}"),
                date: date(2025, 1, 20),
                test: Some("Drie-Minuten-Toets".into()),
                moment: Some("M4".into()),
                level: Some("V".into()),
                scale: Some("IV".into()),
                percentile: Some(8),
                ability_score: None,
                source: Some(Source::Parnassys),
                note: None,
            })
            .collect(),
        eed_criterion: Some(zorgsignaal::domain::EedCriterion::Met),
        snoozed_until: None,
        dismissed_reason: None,
    };
    let signal_id = store.upsert_signal(&signal, pupil_id).await.expect("signal").id();
    store
        .upsert_task(
            &Task {
                key: format!("task|{brin}|p1"),
                signal_key: Some(signal.key.clone()),
                kind: TaskKind::IbTask,
                school: brin.clone(),
                pupil_external_id: "p1".into(),
                target: Source::Parnassys,
                title: "Dyslexieonderzoek overwegen".into(),
                body: "Zie signaal.".into(),
                due_on: Some(date(2026, 3, 1)),
            },
            Utc::now(),
        )
        .await
        .expect("task");
    let outbox = store
        .outbox(&zorgsignaal::store::OutboxFilter {
            school: Some(brin.clone()),
            ..Default::default()
        })
        .await
        .expect("outbox")
        .pop()
        .expect("outbox row")
        .id;
    Seeded {
        pupil: pupil_id,
        signal: signal_id,
        outbox,
    }
}

async fn add_user(store: &dyn Store, name: &str, role: Role, schools: Vec<Brin>, hash: &str) {
    store
        .create_user(&NewUser {
            username: name.into(),
            role,
            schools,
            password_hash: hash.into(),
        })
        .await
        .expect("user");
}

impl World {
    pub async fn spawn() -> Self {
        Self::spawn_with(ApiSettings::default()).await
    }

    /// A world whose server runs with these `[api]` settings.
    pub async fn spawn_with(settings: ApiSettings) -> Self {
        Self::spawn_full(settings, None).await
    }

    /// A world with these settings whose `/metrics` renders `metrics`.
    pub async fn spawn_full(
        settings: ApiSettings,
        metrics: Option<metrics_exporter_prometheus::PrometheusHandle>,
    ) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("api.db").display());
        let store = store::open(&url).await.expect("open");
        store.migrate().await.expect("migrate");
        let a = seed_school(store.as_ref(), &brin_a(), "De Regenboog", "Sanne").await;
        let b = seed_school(store.as_ref(), &brin_b(), "Het Kompas", "Daan").await;
        // One argon2 hash for everybody: hashing is deliberately slow.
        let hash = api::auth::hash_password(&SecretString::from(PASSWORD)).expect("hash");
        add_user(store.as_ref(), "ib_a", Role::Ib, vec![brin_a()], &hash).await;
        add_user(store.as_ref(), "ib_b", Role::Ib, vec![brin_b()], &hash).await;
        add_user(
            store.as_ref(),
            "directie_a",
            Role::Directie,
            vec![brin_a()],
            &hash,
        )
        .await;
        add_user(store.as_ref(), "bestuur", Role::Board, Vec::new(), &hash).await;
        add_user(store.as_ref(), "beheer", Role::Operator, Vec::new(), &hash).await;
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let base = format!("http://{}", listener.local_addr().expect("addr"));
        let shutdown = CancellationToken::new();
        let mut state = AppState::new(store.clone(), settings);
        state.metrics = metrics;
        tokio::spawn(api::serve(listener, state, shutdown.clone()));
        Self {
            store,
            base,
            a,
            b,
            shutdown,
            _dir: dir,
        }
    }

    /// A client that follows no redirects and keeps no cookies of its own.
    pub fn anonymous(&self) -> Client {
        Client {
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("client"),
            base: self.base.clone(),
            session: None,
            csrf: String::new(),
        }
    }

    /// Like [`World::anonymous`], but connecting from another loopback address (`127.0.0.2`…).
    pub fn anonymous_from(&self, ip: &str) -> Client {
        let mut c = self.anonymous();
        c.http = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .local_address(ip.parse::<std::net::IpAddr>().expect("ip"))
            .build()
            .expect("client");
        c
    }

    /// A client logged in through the login form.
    pub async fn login(&self, user: &str) -> Client {
        let mut c = self.anonymous();
        let res = c.login(user, PASSWORD).await;
        assert_eq!(res.status(), 303, "login of {user}");
        c.session = Some(cookie_value(&res, "zs_session").expect("session cookie"));
        let me: serde_json::Value = c.get("/api/v1/me").await.json().await.expect("me");
        c.csrf = me["csrf_token"].as_str().expect("csrf").to_string();
        c
    }
}

/// Value of a cookie set by a response.
pub fn cookie_value(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| {
            let (pair, _) = v.split_once(';').unwrap_or((v, ""));
            let (k, val) = pair.split_once('=')?;
            (k.trim() == name && !val.is_empty()).then(|| val.to_string())
        })
}

/// Minimal `application/x-www-form-urlencoded` encoding.
pub fn form_encode(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            b' ' => "+".to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

pub struct Client {
    pub http: reqwest::Client,
    pub base: String,
    pub session: Option<String>,
    pub csrf: String,
}

impl Client {
    fn with_cookie(&self, rb: reqwest::RequestBuilder, extra: Option<String>) -> reqwest::RequestBuilder {
        let mut cookies = Vec::new();
        if let Some(s) = &self.session {
            cookies.push(format!("zs_session={s}"));
        }
        if let Some(e) = extra {
            cookies.push(e);
        }
        if cookies.is_empty() {
            rb
        } else {
            rb.header(reqwest::header::COOKIE, cookies.join("; "))
        }
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.with_cookie(self.http.get(format!("{}{path}", self.base)), None)
            .send()
            .await
            .expect("GET")
    }

    /// Posts a form; `csrf` is added as field when given.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.with_cookie(self.http.post(format!("{}{path}", self.base)), None)
            .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(form_encode(fields))
            .send()
            .await
            .expect("POST")
    }

    /// Posts JSON with the session's CSRF header when `with_csrf`.
    pub async fn post_json(&self, path: &str, body: serde_json::Value, with_csrf: bool) -> reqwest::Response {
        let mut rb = self
            .with_cookie(self.http.post(format!("{}{path}", self.base)), None)
            .json(&body);
        if with_csrf {
            rb = rb.header("x-csrf-token", &self.csrf);
        }
        rb.send().await.expect("POST")
    }

    /// Goes through the login form: GET for the double-submit token, POST with it.
    pub async fn login(&self, user: &str, password: &str) -> reqwest::Response {
        let page = self.get("/login").await;
        let token = cookie_value(&page, "zs_login_csrf").expect("login csrf cookie");
        let html = page.text().await.expect("login page");
        assert!(html.contains(&token), "form carries the token");
        self.with_cookie(
            self.http.post(format!("{}/login", self.base)),
            Some(format!("zs_login_csrf={token}")),
        )
        .header(reqwest::header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(form_encode(&[
            ("username", user),
            ("password", password),
            ("csrf", &token),
        ]))
        .send()
        .await
        .expect("login POST")
    }
}

/// More pupils, groups, domains and plans in school A, so screenshots show a realistic school.
pub async fn seed_showcase(store: &dyn Store) {
    use zorgsignaal::domain::{LearningDomain, PlanKind, SupportPlan};
    let brin = brin_a();
    let year = SchoolYear::of_date(zorgsignaal::app::today_amsterdam());
    let today = zorgsignaal::app::today_amsterdam();
    let names = [
        ("p2", "Noah", "Bakker", 3),
        ("p3", "Emma", "Visser", 4),
        ("p4", "Liam", "Smit", 4),
        ("p5", "Julia", "Meijer", 6),
        ("p6", "Lucas", "Mulder", 7),
        ("p7", "Mila", "Bos", 8),
    ];
    let mut pupils = Vec::new();
    let mut groups = vec![Group {
        school: brin.clone(),
        external_id: "g5".into(),
        name: "Groep 5".into(),
        school_year: year,
    }];
    let mut members = Vec::new();
    for (id, given, surname, grade) in names {
        pupils.push(Pupil {
            school: brin.clone(),
            source: Source::ParnassysGkv,
            external_id: id.into(),
            national_id_hash: None,
            given_name: given.into(),
            surname_prefix: None,
            surname: surname.into(),
            birth_date: Some(date(2016, 5, 1)),
            left_on: None,
            dyslexia_statement: None,
        });
        let g = format!("g{grade}");
        if !groups.iter().any(|x| x.external_id == g) {
            groups.push(Group {
                school: brin.clone(),
                external_id: g.clone(),
                name: format!("Groep {grade}"),
                school_year: year,
            });
        }
        members.push(Membership {
            school: brin.clone(),
            pupil_external_id: id.into(),
            group_external_id: g,
            grade: Grade::new(grade).expect("grade"),
            from: year.first_day(),
            to: None,
        });
    }
    // The snapshot must list every pupil of the source, or the missing ones count as left.
    let existing = store.pupil_histories(&brin).await.expect("histories");
    for h in &existing {
        pupils.push(h.pupil.pupil.clone());
        members.extend(h.memberships.iter().cloned());
    }
    store
        .apply_snapshot(&brin, year, &pupils, &groups, &members, Utc::now())
        .await
        .expect("snapshot");
    let ids: std::collections::HashMap<String, i64> = store
        .pupil_histories(&brin)
        .await
        .expect("histories")
        .into_iter()
        .map(|h| (h.pupil.pupil.external_id.clone(), h.pupil.id))
        .collect();

    let mut page = PageBatch::new(Source::Parnassys, brin.clone(), "showcase");
    for (i, (code, name, levels)) in [
        ("RW", "Rekenen-Wiskunde", ["II", "III", "III", "IV"]),
        ("SP", "Spelling", ["III", "III", "IV", "IV"]),
    ]
    .into_iter()
    .enumerate()
    {
        for (j, (taken_on, level)) in [
            date(2024, 6, 12),
            date(2025, 1, 22),
            date(2025, 6, 14),
            date(2026, 1, 23),
        ]
        .into_iter()
        .zip(levels)
        .enumerate()
        {
            page.results.push(TestResult {
                source: Source::Parnassys,
                external_id: format!("s{i}{j}"),
                school: brin.clone(),
                pupil_external_id: "p1".into(),
                test_code: code.into(),
                part_code: None,
                test_name: name.into(),
                provider: Some("Cito".into()),
                taken_on,
                stated_moment: None,
                raw_score: None,
                ability: None,
                reference_scores: vec![ReferenceScore::parse("IV", level).expect("level")],
            });
        }
    }
    for (id, pupil, due) in [
        ("pl1", "p3", today + chrono::TimeDelta::days(6)),
        ("pl2", "p5", today - chrono::TimeDelta::days(20)),
    ] {
        page.plans.push(SupportPlan {
            source: Source::Parnassys,
            external_id: id.into(),
            school: brin.clone(),
            pupil_external_id: Some(pupil.into()),
            group_external_id: None,
            kind: PlanKind::ActionPlan,
            domain: Some(LearningDomain::Mathematics),
            title: "Handelingsplan rekenen".into(),
            owner: Some("Leerkracht".into()),
            care_level: Some("2".into()),
            start: today - chrono::TimeDelta::days(90),
            end: None,
            evaluation_due: Some(due),
            minutes_per_week: Some(60),
            evaluations: Vec::new(),
            decided_on: None,
            drawn_up_on: None,
            parents_agreed_on: None,
        });
    }
    page.finished = true;
    store.apply_page(&page).await.expect("showcase page");

    for (pupil, rule, severity, domain, text) in [
        (
            "p2",
            "level_drop",
            Severity::Medium,
            LearningDomain::Mathematics,
            "Rekenen daalde van II naar IV.",
        ),
        (
            "p4",
            "no_growth",
            Severity::Low,
            LearningDomain::Spelling,
            "Geen groei op spelling over twee momenten.",
        ),
        (
            "p5",
            "plan_evaluation_overdue",
            Severity::High,
            LearningDomain::Mathematics,
            "Evaluatie van het handelingsplan is te laat.",
        ),
        (
            "p7",
            "lowest_level_repeated",
            Severity::Medium,
            LearningDomain::ReadingComprehension,
            "Twee keer V op begrijpend lezen.",
        ),
    ] {
        let s = Signal {
            key: format!("{rule}|{pupil}"),
            rule: rule.into(),
            rule_version: 1,
            school: brin.clone(),
            pupil_external_id: pupil.into(),
            domain: Some(domain),
            severity,
            status: SignalStatus::Open,
            opened_on: date(2026, 1, 25),
            explanation: text.into(),
            evidence: Vec::new(),
            eed_criterion: None,
            snoozed_until: None,
            dismissed_reason: None,
        };
        store.upsert_signal(&s, ids[pupil]).await.expect("signal");
    }
}
