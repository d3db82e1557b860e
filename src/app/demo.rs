//! `zorgsignaal demo`: the whole loop on one machine with no set-up. Generates a board, starts the
//! mock ParnasSys/Leeruniek servers in-process on loopback, syncs everything into an embedded
//! SQLite database, evaluates, pushes the tasks back, writes the IB digests and prints a summary.
//! With two or more schools the last one is "ESIS-like" (issue 12): its pupils come from the mock
//! LAS's UWLR `HaalLeerlinggegevens` and its results from the mock test publisher, which delivers
//! them to Zorgsignaal's own `POST /uwlr/v2/leerresultaten` after the first sync.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::{NaiveDate, TimeZone, Utc};
use mocks::{Dataset, GenParams, MockBoard, MockConfig};

use super::evaluate::evaluate_schools;
use super::open_store;
use super::publisher::MockPublishers;
use crate::actions::mail::{Mailer, send_digests};
use crate::actions::outbox::{OutboxPolicy, OutboxWorker};
use crate::settings::{EnvOverrides, Settings};
use crate::sync::{LineProgress, SyncEngine, SyncOptions};

/// What the demo runs on.
#[derive(Debug, Clone)]
pub struct DemoOptions {
    /// Folder for the database and the mails (created).
    pub data_dir: PathBuf,
    /// Generator seed.
    pub seed: u64,
    /// Schools of the generated board.
    pub schools: usize,
    /// Pupils per school.
    pub pupils_per_school: usize,
    /// School years of history.
    pub years: u32,
    /// Keep running as the daemon with the dashboard afterwards (until Ctrl-C).
    pub serve: bool,
}

/// Marks a data dir as the demo's own (written before the demo creates its database there).
pub const DEMO_MARKER: &str = ".zorgsignaal-demo";

/// Name of the demo database in its data dir.
pub const DEMO_DATABASE: &str = "zorgsignaal.sqlite";

/// The only environment sections the demo takes (mail: send the digests to an SMTP sink; api:
/// the dashboard address of `--serve`; telemetry: logging). Everything else — `store.url` above
/// all — is the demo's own, whatever the environment says.
const DEMO_ENV_SECTIONS: [&str; 3] = ["mail", "api", "telemetry"];

/// Makes `dir` the demo's data dir and returns the database path, or refuses: a dir holding a
/// database (any `*.sqlite`, `*.sqlite3` or `*.db` file) without the demo's marker is someone
/// else's, and the demo replaces its database on every run.
pub fn claim_data_dir(dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    let marker = dir.join(DEMO_MARKER);
    if !marker.is_file() {
        let foreign: Vec<String> = std::fs::read_dir(dir)
            .with_context(|| format!("reading {}", dir.display()))?
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| {
                [".sqlite", ".sqlite3", ".db", ".sqlite-wal", ".db-wal"]
                    .iter()
                    .any(|ext| n.ends_with(ext))
            })
            .collect();
        if !foreign.is_empty() {
            anyhow::bail!(
                "{} holds a database the demo did not create ({}); the demo replaces its database \
                 on every run, so it refuses this folder: choose an empty or new --data-dir",
                dir.display(),
                foreign.join(", ")
            );
        }
        std::fs::write(
            &marker,
            "Created by `zorgsignaal demo`; the demo replaces the database here on every run.\n",
        )
        .with_context(|| format!("writing {}", marker.display()))?;
    }
    Ok(dir.join(DEMO_DATABASE))
}

/// Runs the demo and prints the summary; `Ok` with exit 0 when every step succeeded.
pub async fn demo(opts: &DemoOptions) -> anyhow::Result<ExitCode> {
    // Refuse a foreign folder before anything else happens.
    let db = claim_data_dir(&opts.data_dir)?;
    let params = GenParams {
        seed: opts.seed,
        schools: opts.schools,
        pupils_per_school: opts.pupils_per_school,
        years: opts.years,
        uwlr_schools: usize::from(opts.schools >= 2),
        ..GenParams::default()
    };
    let as_of = params.as_of;
    println!(
        "Zorgsignaal demo: {} scholen × {} leerlingen, {} schooljaren, seed {}, peildatum {}",
        opts.schools,
        opts.pupils_per_school,
        opts.years,
        opts.seed,
        crate::rules::text::date(as_of)
    );
    let (dataset, _expected) = mocks::generate(&params);
    let board = MockBoard::start(MockConfig::fixture(dataset.clone()))
        .await
        .context("starting the mock servers")?;
    println!(
        "Mock-servers op loopback: GKV {}, ParnasSys {}, Leeruniek {}",
        board.gkv_url(),
        board.parnassys_url(),
        board.leeruniek_url()
    );
    let esis: Vec<&str> = dataset
        .schools
        .iter()
        .filter(|s| s.uwlr.is_some())
        .map(|s| s.brin.as_str())
        .collect();
    if !esis.is_empty() {
        println!(
            "ESIS-achtige school zonder ParnasSys: {} (leerlingen via UWLR {}, resultaten via de mock-toetsuitgever)",
            esis.join(", "),
            board.uwlr_url()
        );
    }
    let result = run(opts, &db, &dataset, &board, as_of).await;
    board.shutdown().await;
    result
}

async fn run(
    opts: &DemoOptions,
    db: &Path,
    dataset: &Dataset,
    board: &MockBoard,
    as_of: NaiveDate,
) -> anyhow::Result<ExitCode> {
    for suffix in ["", "-wal", "-shm"] {
        let f = PathBuf::from(format!("{}{suffix}", db.display()));
        if f.exists() {
            std::fs::remove_file(&f)
                .with_context(|| format!("removing the previous demo database {}", f.display()))?;
        }
    }
    let mail_dir = opts.data_dir.join("mail");
    std::fs::create_dir_all(&mail_dir).with_context(|| format!("creating {}", mail_dir.display()))?;

    let (env, ignored) = EnvOverrides::from_process().only_sections(&DEMO_ENV_SECTIONS);
    if !ignored.is_empty() {
        println!(
            "Genegeerd (de demo gebruikt alleen haar eigen map): {}",
            ignored.join(", ")
        );
    }
    let smtp_configured = env.keys().any(|k| k == "mail.host");
    let toml = demo_config_toml(dataset, board, db, smtp_configured);
    let settings = Settings::from_toml_str_with_env(&toml, &env)
        .map_err(|e| anyhow::anyhow!("demo configuration invalid: {e}"))?;
    let store = open_store(&settings).await.context("opening the demo database")?;

    // 1. Sync everything.
    let engine =
        Arc::new(SyncEngine::from_settings(&settings, store.clone()).context("building the sync engine")?);
    let sync_opts = SyncOptions {
        full: true,
        ..SyncOptions::from_settings(&settings.sync, store.engine(), as_of)
    };
    let sync = engine.run_once(&sync_opts, &LineProgress).await;
    if sync.any_failed() {
        eprintln!("{}", sync.render());
        anyhow::bail!("the demo sync failed");
    }

    // 1b. The mock test publisher delivers the ESIS-like schools' results up to the reference
    //     date to Zorgsignaal's UWLR endpoint (on a loopback port for the demo's duration).
    let delivered = match MockPublishers::start(&settings, store.clone(), dataset).await? {
        Some(mut publishers) => {
            let delivered = publishers.deliver_until(as_of).await;
            publishers.stop().await;
            Some(delivered?)
        }
        None => None,
    };

    // 2. Evaluate on the board's reference date.
    let evaluations = evaluate_schools(store.as_ref(), &settings, None, as_of).await?;

    // 3. Push the tasks back to the mock servers.
    let worker = OutboxWorker::new(
        store.clone(),
        engine.clone(),
        OutboxPolicy::from_settings(&settings.outbox),
    );
    let pushed = worker.drain(1000).await?;

    // 4. The IB digests, as on the reference date's 07:30 run.
    let mailer = if smtp_configured {
        Mailer::from_settings(&settings.mail)?
    } else {
        Mailer::File(mail_dir.clone())
    };
    let digest_time = chrono_tz::Europe::Amsterdam
        .from_local_datetime(&as_of.and_hms_opt(7, 30, 0).unwrap_or_default())
        .single()
        .map_or_else(Utc::now, |t| t.with_timezone(&Utc));
    let mails = send_digests(store.as_ref(), &settings, &mailer, digest_time).await?;
    store.close().await;

    println!(
        "\n{}",
        summary_table(
            &evaluations,
            &sync,
            delivered,
            pushed.sent,
            pushed.parked,
            board,
            mails.sent
        )
    );
    println!("Database: {}", db.display());
    if smtp_configured {
        println!(
            "Digests verstuurd via SMTP ({}:{})",
            settings.mail.host, settings.mail.port
        );
    } else {
        println!("Digests (e-mails) als .eml-bestanden in {}", mail_dir.display());
    }
    let explore = write_explore_config(opts, dataset, db)?;
    println!("{}", explore_commands(&explore, &settings, as_of));
    if pushed.parked > 0 {
        return Ok(ExitCode::FAILURE);
    }
    if opts.serve {
        serve(settings).await?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Name of the explore configuration in the demo's data dir.
pub const DEMO_CONFIG: &str = "zorgsignaal.toml";

/// Writes [`explore_config_toml`] (absolute paths, so it works from any folder) into the data
/// dir and returns its path as the user named the data dir.
fn write_explore_config(opts: &DemoOptions, dataset: &Dataset, db: &Path) -> anyhow::Result<PathBuf> {
    let dir = std::fs::canonicalize(&opts.data_dir)
        .with_context(|| format!("resolving {}", opts.data_dir.display()))?;
    let db = dir.join(db.file_name().unwrap_or(DEMO_DATABASE.as_ref()));
    let path = opts.data_dir.join(DEMO_CONFIG);
    std::fs::write(&path, explore_config_toml(dataset, &dir, &db))
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// The closing lines: the commands a newcomer types next to look around in the demo's data.
fn explore_commands(config: &Path, settings: &Settings, as_of: NaiveDate) -> String {
    let z = format!("zorgsignaal --config {}", config.display());
    let school = settings
        .schools
        .first()
        .map_or_else(|| "BRIN".to_owned(), |s| s.brin.to_string());
    let mut out = format!(
        "\nVerder kijken: de configuratie van de demo staat in {}\n",
        config.display()
    );
    let lines = [
        ("open signalen per leerling", "signals".to_owned()),
        (
            "bestuursrapportage (in de map rapport van de demo)",
            format!("report board --as-of {as_of}"),
        ),
        (
            "een IB-account voor het dashboard (wachtwoord via standaardinvoer)",
            format!("user add ib --role ib --school {school}"),
        ),
        ("het dashboard", "serve".to_owned()),
    ];
    for (what, command) in lines {
        let _ = writeln!(out, "  # {what}\n  {z} {command}");
    }
    let _ = write!(
        out,
        "Zonder geïnstalleerd programma: `cargo run --release --` in plaats van `zorgsignaal`.\n\
         `demo --serve` zet de gebruikers klaar en start het dashboard in één keer."
    );
    out
}

/// `demo --serve`: demo users with a fresh random password, then the daemon on the configured
/// API address with the mocks still running, until Ctrl-C/SIGTERM.
async fn serve(settings: Settings) -> anyhow::Result<()> {
    use crate::api::auth::{hash_password, random_token};
    use crate::store::{NewUser, Role};
    use secrecy::SecretString;

    let store = open_store(&settings).await?;
    let password = random_token().chars().take(16).collect::<String>();
    let hash = hash_password(&SecretString::from(password.clone()))
        .map_err(|e| anyhow::anyhow!("hashing the demo password: {e}"))?;
    let schools: Vec<_> = settings.schools.iter().map(|s| s.brin.clone()).collect();
    for (username, role) in [
        ("ib", Role::Ib),
        ("bestuur", Role::Board),
        ("beheer", Role::Operator),
    ] {
        let user = NewUser {
            username: username.to_owned(),
            role,
            schools: if role == Role::Ib {
                schools.clone()
            } else {
                Vec::new()
            },
            password_hash: hash.clone(),
        };
        store
            .create_user(&user)
            .await
            .with_context(|| format!("creating demo user {username}"))?;
    }
    store.close().await;
    println!(
        "\nDashboard: {} — log in as ib, bestuur or beheer with password {password}\nStoppen met Ctrl-C.",
        settings.api.public_url
    );
    super::commands::run::run_daemon(&settings).await.map(|_| ())
}

/// The demo configuration: every generated school with its own ladder and IB addresses, all three
/// sources at the in-process mocks, the store in the data dir, digests on (to `localhost:25` unless
/// `smtp`, when the environment names the mail host). Also used by the planted-case integration test.
pub fn demo_config_toml(dataset: &Dataset, board: &MockBoard, db: &Path, smtp: bool) -> String {
    config_toml(dataset, Some(board), db, smtp)
}

/// The configuration the demo leaves in its data dir for exploring its database afterwards
/// (`signals`, `report board`, `serve`): the same schools, IBs and holidays, the store and the
/// reports in the data dir, and no sources (the mock servers stop with the demo) and no mail.
pub fn explore_config_toml(dataset: &Dataset, data_dir: &Path, db: &Path) -> String {
    let mut t = String::from(
        "# Geschreven door `zorgsignaal demo`: de configuratie van de demo, om de database daarna te\n\
         # bekijken. De mock-servers draaien niet meer, dus staan de bronnen en de mail uit.\n\n",
    );
    t.push_str(&config_toml(dataset, None, db, false));
    let _ = write!(
        t,
        "[report]\noutput_dir = \"{}\"\n",
        toml_escape(&data_dir.join("rapport").display().to_string())
    );
    t
}

/// [`demo_config_toml`] with live sources at `board`, or (`None`) the explore configuration.
fn config_toml(dataset: &Dataset, board: Option<&MockBoard>, db: &Path, smtp: bool) -> String {
    let mut t = String::new();
    let mail = match (board, smtp) {
        (None, _) => "enabled = false\n",
        (Some(_), true) => "enabled = true\n",
        (Some(_), false) => "enabled = true\nhost = \"localhost\"\ntls = \"none\"\nport = 25\n",
    };
    let _ = write!(
        t,
        "[store]\nurl = \"sqlite://{}\"\n\n[board]\nname = \"Stichting Demoscholen\"\n\n\
         [pseudonymisation]\nkey = \"demo-pseudonymisation-key-0000\"\n\n\
         [mail]\n{mail}from = \"zorgsignaal@demo.example.nl\"\ndashboard_url = \"http://127.0.0.1:8080\"\n\n",
        toml_escape(&db.display().to_string()),
    );
    for school in &dataset.schools {
        let uwlr = board.and_then(|b| b.uwlr_credentials(&school.brin));
        let credentials = match board {
            Some(b) => match b.credentials(&school.brin) {
                Some(c) => Some(c),
                None if uwlr.is_some() => None,
                None => continue,
            },
            None => None,
        };
        let emails = |functie: &str| {
            let list: Vec<String> = school
                .medewerkers
                .iter()
                .filter(|m| m.functie == functie)
                .map(|m| format!("\"{}\"", toml_escape(&m.emailadres)))
                .collect();
            list.join(", ")
        };
        let mut ib = emails("ib");
        if ib.is_empty() {
            ib = format!("\"ib@{}.demo.example.nl\"", school.brin.to_lowercase());
        }
        let _ = write!(
            t,
            "[[schools]]\nbrin = \"{brin}\"\nname = \"{name}\"\ncare_ladder = \"{ladder}\"\n\
             ib_emails = [{ib}]\ndirectie_emails = [{dir}]\n\n",
            brin = school.brin,
            name = toml_escape(&school.naam),
            ladder = school.care_ladder,
            dir = emails("directie"),
        );
        if let Some(c) = credentials {
            let _ = write!(
                t,
                "[schools.parnassys_gkv]\nkey = \"{gkv}\"\n\n\
                 [schools.parnassys]\nclient_id = \"{pid}\"\nclient_secret = \"{psec}\"\n\n\
                 [schools.leeruniek]\nclient_id = \"{lid}\"\nclient_secret = \"{lsec}\"\n\n",
                gkv = c.leveranciersleutel,
                pid = c.parnassys.0,
                psec = c.parnassys.1,
                lid = c.leeruniek.0,
                lsec = c.leeruniek.1,
            );
        }
        // An ESIS-like school: pupils through UWLR, Leeruniek as any school; its results come
        // through the UWLR endpoint (the mock test publisher), not from a source.
        if let Some(u) = &uwlr {
            let _ = write!(
                t,
                "[schools.uwlr]\nurl = \"{url}\"\nkey = \"{key}\"\n\n\
                 [schools.leeruniek]\nclient_id = \"{lid}\"\nclient_secret = \"{lsec}\"\n\n",
                url = u.url,
                key = toml_escape(&u.access.autorisatiesleutel),
                lid = u.leeruniek.0,
                lsec = u.leeruniek.1,
            );
        }
        for v in &school.vakanties {
            let _ = write!(
                t,
                "[[schools.calendar.holidays]]\nfrom = {}\nto = {}\nname = \"{}\"\n\n",
                v.van,
                v.tot,
                toml_escape(&v.naam)
            );
        }
    }
    let Some(board) = board else {
        return t;
    };
    let _ = write!(
        t,
        "[sources.parnassys_gkv]\nenabled = true\nbase_url = \"{}\"\nleveranciernaam = \"{}\"\n\n",
        board.gkv_url(),
        toml_escape(&dataset.leveranciernaam)
    );
    if let Some(access) = dataset.schools.iter().find_map(|s| s.uwlr.as_ref()) {
        let _ = write!(
            t,
            "[sources.uwlr]\nenabled = true\nklantcode = \"{}\"\nklantnaam = \"Zorgsignaal\"\n\n",
            toml_escape(&access.klantcode)
        );
    }
    for (name, url) in [
        ("parnassys", board.parnassys_url()),
        ("leeruniek", board.leeruniek_url()),
    ] {
        let _ = write!(
            t,
            "[sources.{name}]\nenabled = true\nbase_url = \"{url}\"\ntoken_url = \"{url}/oauth/token\"\n\
             rate_limit_per_second = 50\n\n"
        );
    }
    t
}

fn toml_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

fn summary_table(
    evaluations: &[super::evaluate::SchoolEvaluationSummary],
    sync: &crate::sync::SyncSummary,
    uwlr: Option<mocks::publisher::Delivered>,
    tasks_pushed: usize,
    tasks_parked: usize,
    board: &MockBoard,
    mails: usize,
) -> String {
    let mut out = String::from("Samenvatting (summary)\n");
    let _ = writeln!(out, "  {:<28} {:>8}", "scholen (schools)", evaluations.len());
    let pupils: usize = evaluations.iter().map(|e| e.pupils).sum();
    let _ = writeln!(out, "  {:<28} {:>8}", "leerlingen (pupils)", pupils);
    let _ = writeln!(out, "  {:<28} {:>8}", "records gesynchroniseerd", sync.records());
    let _ = writeln!(out, "  {:<28} {:>8}", "in quarantaine", sync.quarantined());
    if let Some(d) = uwlr {
        let _ = writeln!(out, "  {:<28} {:>8}", "UWLR-resultaten (toetsuitg.)", d.results);
        let _ = writeln!(out, "  {:<28} {:>8}", "  in berichten (toetsdata)", d.messages);
    }
    let mut per_rule = std::collections::BTreeMap::<&str, usize>::new();
    for e in evaluations {
        for (rule, n) in &e.findings_per_rule {
            *per_rule.entry(rule.as_str()).or_default() += n;
        }
    }
    // The owner's evaluation reminders are tasks, not signals (issue 17): counted apart.
    let reminders: usize = per_rule
        .iter()
        .filter(|(rule, _)| crate::rules::engine::is_owner_reminder(rule))
        .map(|(_, n)| n)
        .sum();
    let _ = writeln!(out, "  signalen per regel (signals per rule):");
    for (rule, n) in per_rule {
        if !crate::rules::engine::is_owner_reminder(rule) {
            let _ = writeln!(out, "    {rule:<26} {n:>8}");
        }
    }
    let _ = writeln!(out, "  {:<28} {:>8}", "herinneringen planeigenaar", reminders);
    let created: usize = evaluations.iter().map(|e| e.tasks_created).sum();
    let at_mock: usize = board
        .schools()
        .iter()
        .map(|b| board.pushed_parnassys_tasks(b).len() + board.pushed_leeruniek_tasks(b).len())
        .sum();
    let _ = writeln!(out, "  {:<28} {:>8}", "taken aangemaakt (tasks)", created);
    let escalations: usize = evaluations.iter().map(|e| e.escalations_created).sum();
    if escalations > 0 {
        let _ = writeln!(out, "  {:<28} {:>8}", "escalaties directie (mail)", escalations);
    }
    let _ = writeln!(out, "  {:<28} {:>8}", "taken teruggezet (pushed)", tasks_pushed);
    let _ = writeln!(out, "  {:<28} {:>8}", "  waarvan bij de mock", at_mock);
    if tasks_parked > 0 {
        let _ = writeln!(out, "  {:<28} {:>8}", "taken geparkeerd (parked)", tasks_parked);
    }
    let _ = write!(out, "  {:<28} {:>8}", "digests geschreven (mails)", mails);
    out
}
