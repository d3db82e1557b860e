//! `zorgsignaal simulate` end to end: a few weeks around the M window (January–February 2026) on a
//! small generated board. Every field of `--json` is recomputed from what the run left behind:
//! the `.eml` files (headers and the plain-text part), the SQLite database and the generated
//! board itself. A second, shorter run twice over shows that the same seed gives the same output.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::process::Command;

use chrono::{DateTime, Datelike, NaiveDate, TimeDelta, Weekday};
use chrono_tz::Europe::Amsterdam;
use serde_json::Value;

const FROM: &str = "2026-01-12";
const TO: &str = "2026-02-13";

fn simulate(dir: &Path, from: &str, to: &str, schools: &str, pupils: &str) -> Value {
    simulate_with(dir, from, to, schools, pupils, &[])
}

fn simulate_with(dir: &Path, from: &str, to: &str, schools: &str, pupils: &str, extra: &[&str]) -> Value {
    let out = Command::new(env!("CARGO_BIN_EXE_zorgsignaal"))
        .args([
            "simulate",
            "--from",
            from,
            "--to",
            to,
            "--seed",
            "7",
            "--schools",
            schools,
            "--pupils-per-school",
            pupils,
            "--json",
            "--data-dir",
        ])
        .arg(dir)
        .args(extra)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run zorgsignaal simulate");
    assert!(
        out.status.success(),
        "simulate failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let mut objects = serde_json::Deserializer::from_str(&stdout).into_iter::<Value>();
    let v = objects.next().expect("one JSON object").expect("valid JSON");
    assert!(objects.next().is_none(), "exactly one JSON object:\n{stdout}");
    v
}

/// One `.eml` as the test reads it.
#[derive(Debug)]
struct Mail {
    to: String,
    list: String,
    date: NaiveDate,
    overview: bool,
    lines: Vec<String>,
    nog_open: bool,
    text: String,
}

fn header(head: &str, name: &str) -> String {
    let unfolded = head.replace("\r\n", "\n").replace("\n ", " ");
    unfolded
        .lines()
        .find_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.eq_ignore_ascii_case(name).then(|| v.trim().to_owned())
        })
        .unwrap_or_else(|| panic!("no {name} header in\n{head}"))
}

fn decode_quoted_printable(raw: &str) -> String {
    let joined = raw.replace("=\r\n", "").replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'='
            && let Some(hex) = joined.get(i + 1..i + 3)
            && let Ok(b) = u8::from_str_radix(hex, 16)
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn read_mails(dir: &Path) -> Vec<Mail> {
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("mail dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "eml"))
        .collect();
    names.sort();
    names
        .iter()
        // The IB's mails only: not the board report, not the directie's escalation mail.
        .filter(|p| {
            !p.file_name().is_some_and(|n| {
                let n = n.to_string_lossy();
                n.starts_with("bestuur-") || n.contains("-directie-")
            })
        })
        .map(|p| {
            let raw = std::fs::read_to_string(p).expect("eml").replace("\r\n", "\n");
            let (head, body) = raw.split_once("\n\n").expect("headers and body");
            // Every mail is a well-formed automatic mail.
            assert!(header(head, "Message-ID").starts_with('<'));
            assert_eq!(header(head, "Auto-Submitted"), "auto-generated");
            let date = DateTime::parse_from_rfc2822(&header(head, "Date")).expect("RFC 2822 Date");
            let plain = body
                .split("Content-Type: text/plain")
                .nth(1)
                .and_then(|p| p.split_once("\n\n"))
                .map(|(_, rest)| rest.split("\n--").next().unwrap_or(rest))
                .expect("a text/plain part");
            let text = decode_quoted_printable(plain);
            // Pupil lines, each with the group heading it stands under (two pupils of one
            // school can share roepnaam and initial, not usually within one group).
            let mut group = String::new();
            let mut lines: Vec<String> = Vec::new();
            for l in text.lines() {
                if l.starts_with("Groep ") {
                    group = l.trim().to_owned();
                } else if l.starts_with("- ") {
                    lines.push(format!("{group} {l}"));
                }
            }
            Mail {
                to: header(head, "To"),
                list: header(head, "List-Id"),
                date: date.with_timezone(&Amsterdam).date_naive(),
                overview: header(head, "Subject").contains("startoverzicht"),
                // A "nog open" part with pupil lines (it may also be only the count of items
                // open for more than four weeks).
                nog_open: text
                    .split_once("\nNOG OPEN\n")
                    .is_some_and(|(_, rest)| rest.lines().any(|l| l.starts_with("- "))),
                lines,
                text,
            }
        })
        .collect()
}

fn nearest_rank(sorted: &[usize], p: f64) -> usize {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn school_day(d: NaiveDate) -> bool {
    // No school holiday falls in 12-01-2026 … 13-02-2026 (voorjaarsvakantie starts 14-02).
    !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
}

fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("date")
}

#[test]
fn every_figure_of_simulate_json_matches_the_mails_it_wrote() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let dir = tmp.path().join("sim");
    let v = simulate(&dir, FROM, TO, "2", "40");
    let mails = read_mails(&dir.join("mail"));
    assert!(!mails.is_empty(), "no mails written");
    let (from, to) = (date(FROM), date(TO));

    // Period, board, IBs.
    assert_eq!(v["from"], FROM);
    assert_eq!(v["to"], TO);
    let mut d = from;
    let mut school_days = 0;
    while d <= to {
        school_days += usize::from(school_day(d));
        d = d.succ_opt().expect("next day");
    }
    assert_eq!(v["school_days"], school_days);
    assert_eq!(v["schools"], 2);
    let lists: BTreeSet<&str> = mails.iter().map(|m| m.list.as_str()).collect();
    assert_eq!(lists.len(), 2, "one List-Id per school: {lists:?}");
    let ibs: BTreeSet<&str> = mails.iter().map(|m| m.to.as_str()).collect();
    assert_eq!(v["ibs"], ibs.len(), "every IB got a start overview");
    let params = mocks::GenParams {
        seed: 7,
        schools: 2,
        pupils_per_school: 40,
        years: 4,
        as_of: to,
        planted: true,
        // As `simulate` generates it: the last school ESIS-like (issue 12).
        uwlr_schools: 1,
    };
    // The simulation plants its cases on the last school day of the period with three
    // holiday-free weeks after it (Friday 23-01-2026; the voorjaarsvakantie starts 14-02).
    assert_eq!(v["planted"]["as_of"], "2026-01-23");
    let (board, planted_cases) = mocks::generate_with_planted_as_of(&params, date("2026-01-23"));
    let planted_pupils: BTreeSet<(String, String)> = planted_cases
        .iter()
        .map(|e| (e.school.clone(), e.pupil_id.clone()))
        .collect();
    let mut planted_enrolled = 0;
    // Pupils enrolled in the period: in a group of the period's school year (2025-2026) and not
    // left before it. Groepsindelingen of earlier years have no end date of their own.
    let pupils: usize = board
        .schools
        .iter()
        .map(|s| {
            let groups: BTreeSet<u64> = s
                .groepen
                .iter()
                .filter(|g| g.schooljaar == "2025-2026")
                .map(|g| g.id)
                .collect();
            let enrolled = s
                .groepsindelingen
                .iter()
                .filter(|m| groups.contains(&m.groep))
                .filter(|m| m.vanaf_datum <= to && m.tot_datum.is_none_or(|t| t >= from))
                .filter(|m| {
                    s.leerlingen
                        .iter()
                        .find(|p| p.id == m.leerling)
                        .and_then(|p| p.uitstroom)
                        .is_none_or(|d| d >= from)
                })
                .map(|m| m.leerling)
                .collect::<BTreeSet<_>>();
            planted_enrolled += enrolled
                .iter()
                .filter(|id| planted_pupils.contains(&(s.brin.clone(), id.to_string())))
                .count();
            enrolled.len()
        })
        .sum();
    let ever: usize = board
        .schools
        .iter()
        .map(|s| {
            s.groepsindelingen
                .iter()
                .map(|m| m.leerling)
                .collect::<BTreeSet<_>>()
                .len()
        })
        .sum();
    assert!(
        pupils < ever,
        "the pupils of the period ({pupils}), not everyone of the four generated years ({ever})"
    );
    assert_eq!(v["pupils"], pupils);

    // Start overviews: one per IB and school, at most 25 lines, not empty.
    let overviews: Vec<&Mail> = mails.iter().filter(|m| m.overview).collect();
    assert_eq!(v["start_overview"]["mails"], overviews.len());
    assert_eq!(overviews.len(), ibs.len());
    let lines_max = overviews.iter().map(|m| m.lines.len()).max().unwrap_or(0);
    assert_eq!(v["start_overview"]["lines_max"], lines_max);
    assert!(lines_max > 0 && lines_max <= 25, "{lines_max}");
    for o in &overviews {
        assert!(o.text.contains("Per regel:"), "{}", o.text);
    }

    // Digests.
    let digests: Vec<&Mail> = mails.iter().filter(|m| !m.overview).collect();
    assert_eq!(v["mails"]["count"], digests.len());
    let mut per_day: HashMap<(&str, &str, NaiveDate), usize> = HashMap::new();
    for m in &mails {
        *per_day.entry((&m.to, &m.list, m.date)).or_default() += 1;
    }
    assert_eq!(
        v["mails"]["per_ib_per_school_day_max"],
        *per_day.values().max().expect("mails")
    );
    assert_eq!(v["mails"]["per_ib_per_school_day_max"], 1);
    let off = mails.iter().filter(|m| !school_day(m.date)).count();
    assert_eq!(v["mails"]["on_weekend_or_holiday"], off);
    assert_eq!(off, 0);
    let mut items: Vec<usize> = digests.iter().map(|m| m.lines.len()).collect();
    items.sort_unstable();
    let ipm = &v["mails"]["items_per_mail"];
    assert_eq!(ipm["median"], nearest_rank(&items, 50.0));
    assert_eq!(ipm["p95"], nearest_rank(&items, 95.0));
    assert_eq!(ipm["max"], items.last().copied().unwrap_or(0));
    assert_eq!(v["mails"]["lines_total"], items.iter().sum::<usize>());
    // At most 15 pupil lines a digest, "nog open" included (issue 17).
    assert!(items.last().copied().unwrap_or(0) <= 15);

    // Repeats: the same pupil line (name and items) to one IB of one school within 7 days.
    let mut seen: HashMap<(&str, &str, &str), Vec<NaiveDate>> = HashMap::new();
    for m in &mails {
        for l in &m.lines {
            seen.entry((&m.to, &m.list, l)).or_default().push(m.date);
        }
    }
    let per_week = seen
        .values()
        .map(|ds| {
            ds.iter()
                .map(|d| {
                    ds.iter()
                        .filter(|e| **e >= *d && **e < *d + TimeDelta::days(7))
                        .count()
                })
                .max()
                .unwrap_or(0)
        })
        .max()
        .unwrap_or(0);
    assert_eq!(v["repeats"]["max_mails_per_unchanged_item_per_week"], per_week);
    assert_eq!(
        v["repeats"]["mails_with_nog_open"],
        digests.iter().filter(|m| m.nog_open).count()
    );

    // Signals: the per-rule counts add up, and the rate follows from pupils and days.
    let opened = v["signals"]["opened"].as_u64().expect("opened") as usize;
    let by_rule: BTreeMap<String, u64> =
        serde_json::from_value(v["signals"]["by_rule"].clone()).expect("by_rule");
    assert_eq!(by_rule.values().sum::<u64>() as usize, opened);
    let years = ((to - from).num_days() + 1) as f64 / 365.0;
    let rate = (opened as f64 * 100.0 / pupils as f64 / years * 10.0).round() / 10.0;
    assert_eq!(v["signals"]["per_100_pupils_per_year"].as_f64(), Some(rate));
    // Bespreekpunten reach the IB as one line per group ("- Groepsbespreking: …"): each such
    // line of a digest counts once among the signals; the pupils behind them are counted apart.
    let group_lines: usize = digests
        .iter()
        .map(|m| {
            m.lines
                .iter()
                .filter(|l| l.contains(" - Groepsbespreking: "))
                .count()
        })
        .sum();
    assert_eq!(v["discussion_points"]["group_lines"], group_lines);
    assert_eq!(by_rule.get("groepsbespreking").copied(), Some(group_lines as u64));
    let points: BTreeMap<String, u64> =
        serde_json::from_value(v["discussion_points"]["by_rule"].clone()).expect("points by rule");
    assert_eq!(
        points.values().sum::<u64>(),
        v["discussion_points"]["pupil_signals"]
            .as_u64()
            .expect("pupil signals")
    );
    for rule in points.keys() {
        assert!(
            zorgsignaal::rules::engine::is_discussion_point(rule) && !by_rule.contains_key(rule),
            "{rule}"
        );
    }

    // Without the planted pupils: fewer pupils, per rule at most the whole board's count, and
    // the rate follows.
    let wp = &v["signals"]["without_planted"];
    assert!(planted_enrolled > 0, "the period has planted pupils");
    assert_eq!(wp["pupils"], pupils - planted_enrolled);
    let wp_by_rule: BTreeMap<String, u64> = serde_json::from_value(wp["by_rule"].clone()).expect("by_rule");
    let wp_opened = wp["opened"].as_u64().expect("opened");
    assert_eq!(wp_by_rule.values().sum::<u64>(), wp_opened);
    assert!(wp_opened as usize <= opened);
    for (rule, n) in &wp_by_rule {
        assert!(*n <= by_rule.get(rule).copied().unwrap_or(0), "{rule}");
    }
    let wp_rate =
        (wp_opened as f64 * 100.0 / (pupils - planted_enrolled) as f64 / years * 10.0).round() / 10.0;
    assert_eq!(wp["per_100_pupils_per_year"].as_f64(), Some(wp_rate));

    // Planted cases: every case found; the first mail naming it is a mail of its school on the
    // day the latency says (source day + that many school days).
    let planted = &v["planted"];
    let cases = planted["cases"].as_array().expect("cases");
    assert_eq!(planted["expected"], cases.len());
    assert_eq!(
        planted["found"],
        cases.iter().filter(|c| c["found"] == true).count()
    );
    let mut latency_max = None::<u64>;
    let mut by_task = Vec::new();
    for c in cases {
        let Some(l) = c["latency_school_days"].as_u64() else {
            continue;
        };
        latency_max = Some(latency_max.map_or(l, |m| m.max(l)));
        if c["by"] == "task" {
            // A rule that reaches the school as a task (issue 17): checked in the store below.
            by_task.push(c);
            continue;
        }
        let mut day = date(c["source_day"].as_str().expect("source day"));
        let mut left = l;
        while left > 0 {
            day = day.succ_opt().expect("next");
            if school_day(day) {
                left -= 1;
            }
        }
        let pupil: Option<u64> = c["pupil_id"].as_str().and_then(|s| s.parse().ok());
        let school = board
            .schools
            .iter()
            .find(|s| s.leerlingen.iter().any(|p| Some(p.id) == pupil))
            .expect("planted pupil's school");
        let list = format!("<{}.", school.brin.to_lowercase());
        assert!(
            mails.iter().any(|m| m.date == day && m.list.contains(&list)),
            "no mail of {} on {day} for {c}",
            school.brin
        );
    }
    assert_eq!(planted["latency_school_days_max"].as_u64(), latency_max);
    // The owner's reminders and plan requests: a task of that rule for that pupil reached the
    // LAS (its outbox row is sent), and no signal of that rule was opened.
    let url = format!("sqlite://{}", dir.join("zorgsignaal.sqlite").display());
    let (outbox, signal_rules) = tokio::runtime::Runtime::new().expect("runtime").block_on(async {
        let store = zorgsignaal::store::open(&url)
            .await
            .expect("the simulation's store");
        let outbox = store
            .outbox(&zorgsignaal::store::OutboxFilter::default())
            .await
            .expect("outbox");
        let signals = store
            .signals(&zorgsignaal::store::SignalFilter::default())
            .await
            .expect("signals");
        store.close().await;
        let rules: BTreeSet<String> = signals.into_iter().map(|r| r.signal.rule).collect();
        (outbox, rules)
    });
    for c in by_task {
        let rule = c["rule"].as_str().expect("rule");
        let pupil = c["pupil_id"].as_str().expect("pupil");
        assert!(
            outbox.iter().any(|o| o.task.key.starts_with(&format!("{rule}/"))
                && o.task.pupil_external_id == pupil
                && o.status == zorgsignaal::store::OutboxStatus::Sent),
            "no task sent for {c}"
        );
        assert!(!signal_rules.contains(rule), "{rule} opened a signal of its own");
    }

    // Tasks are written back on the simulated day: every push reached the mock LAS once (they
    // were stamped with the real clock before, so a replayed year never pushed any), and nothing
    // waits or was given up. (The outbox may hold fewer sent rows than were pushed: retention
    // deletes a leaver's tasks with the pupil.)
    let tasks = &v["tasks"];
    let pushed = tasks["pushed"].as_u64().expect("tasks.pushed");
    assert!(pushed > 0, "no task pushed in the period: {tasks}");
    assert_eq!(tasks["received_by_las"].as_u64(), Some(pushed), "{tasks}");
    let sent = tasks["outbox"]["sent"].as_u64().expect("tasks.outbox.sent");
    assert!(sent > 0 && sent <= pushed, "{tasks}");
    for state in ["pending", "in_flight", "parked"] {
        assert_eq!(tasks["outbox"][state], 0, "{state}: {tasks}");
    }
}

/// Also with the schools' jobs one at a time and two side by side (`--parallel`): a school's
/// own runs keep their order, so nothing a school receives may depend on it.
#[test]
fn the_same_seed_gives_the_same_figures_and_mails() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let run = |name: &str, parallel: &str| {
        let dir = tmp.path().join(name);
        let mut v = simulate_with(
            &dir,
            "2026-01-26",
            "2026-01-30",
            "2",
            "30",
            &["--parallel", parallel],
        );
        v["data_dir"] = Value::Null;
        let mut files: Vec<(String, String)> = std::fs::read_dir(dir.join("mail"))
            .expect("mail dir")
            .map(|e| {
                let p = e.expect("entry").path();
                (
                    p.file_name().expect("name").to_string_lossy().into_owned(),
                    std::fs::read_to_string(&p).expect("eml"),
                )
            })
            .collect();
        files.sort();
        (v, files)
    };
    let (a, b) = (run("a", "1"), run("b", "2"));
    assert!(!a.1.is_empty(), "the short run wrote no mail");
    assert_eq!(a.0, b.0);
    // MIME boundaries are random; everything else is the same.
    let strip = |files: &[(String, String)]| -> Vec<(String, usize)> {
        files.iter().map(|(n, raw)| (n.clone(), raw.len())).collect()
    };
    assert_eq!(strip(&a.1), strip(&b.1));
}
