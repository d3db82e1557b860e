//! `MockBoard`: starts the three servers on loopback ports for a generated or fixture dataset and
//! gives tests the handles to change data, revoke consent, expire tokens and read counters.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::{Duration, Instant};

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::error::MockError;
use crate::faults::FaultConfig;
use crate::generator::{BoardGen, Expected, GenParams, generate};
use crate::model::{Dataset, Membership, Note, Plan, System, TestResult};
use crate::server::{Shared, gkv, rest, uwlr};
use crate::state::{Change, Record, State, StreamKind};
use crate::tasks::{LuTask, PsTask};

/// Where the served data comes from.
#[derive(Debug, Clone)]
pub enum DataSource {
    /// Generate a board (planted cases included when the params say so).
    Generated(GenParams),
    /// Serve exactly this dataset.
    Fixture(Box<Dataset>),
    /// Generate each school only when a request needs it, and hold at most `cache` schools in
    /// memory (a board of 1 000 schools on one machine). A school's data is the same as in
    /// `Generated`; cursors differ (each school has a sequence range of its own). `inspect`
    /// sees only the schools in memory.
    Lazy {
        /// Board parameters.
        params: GenParams,
        /// Schools held in memory at most (at least 1; more while requests hold them).
        cache: usize,
    },
}

/// How to start a board.
#[derive(Debug, Clone)]
pub struct MockConfig {
    /// Address to bind. Port 0: three ephemeral ports; port N: N (GKV), N+1 (ParnasSys), N+2 (Leeruniek).
    pub listen: SocketAddr,
    /// Data.
    pub data: DataSource,
    /// Lifetime of issued access tokens.
    pub token_lifetime: Duration,
    /// Fault injection.
    pub faults: FaultConfig,
}

impl MockConfig {
    /// Loopback, ephemeral ports, one-hour tokens, no faults, generated from `params`.
    pub fn generated(params: GenParams) -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            data: DataSource::Generated(params),
            token_lifetime: Duration::from_secs(3600),
            faults: FaultConfig::default(),
        }
    }

    /// As `generated`, but serving `dataset`.
    pub fn fixture(dataset: Dataset) -> Self {
        Self {
            data: DataSource::Fixture(Box::new(dataset)),
            ..Self::generated(GenParams::default())
        }
    }
}

/// Credentials of one school for all three servers (test data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchoolCredentials {
    /// GKV leveranciernaam.
    pub leveranciernaam: String,
    /// GKV leveranciersleutel.
    pub leveranciersleutel: String,
    /// ParnasSys REST client id and secret (this school only).
    pub parnassys: (String, String),
    /// Leeruniek REST client id and secret (this school only).
    pub leeruniek: (String, String),
}

/// Credentials of an ESIS-like school (test data).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UwlrCredentials {
    /// URL of `HaalLeerlinggegevens`.
    pub url: String,
    /// The school's UWLR access (autorisatiesleutel, klantcode).
    pub access: crate::model::UwlrAccess,
    /// Leeruniek REST client id and secret (this school only).
    pub leeruniek: (String, String),
}

/// A running board of mock servers.
#[derive(Debug)]
pub struct MockBoard {
    shared: Arc<Shared>,
    urls: [String; 3],
    servers: Mutex<Vec<JoinHandle<()>>>,
    expected: Vec<Expected>,
}

impl MockBoard {
    /// Generates or loads the data and starts the servers.
    pub async fn start(config: MockConfig) -> Result<MockBoard, MockError> {
        let seed;
        let (state, expected) = match config.data {
            DataSource::Generated(p) => {
                seed = p.seed;
                let (dataset, expected) = tokio::task::spawn_blocking(move || generate(&p))
                    .await
                    .map_err(|e| MockError::Dataset(format!("generator failed: {e}")))?;
                (State::from_dataset(dataset)?, expected)
            }
            DataSource::Fixture(ds) => {
                seed = ds.seed;
                (State::from_dataset(*ds)?, Vec::new())
            }
            DataSource::Lazy { params, cache } => {
                seed = params.seed;
                // The planted cases' expectations: those of the first school and the ESIS-like
                // ones, generated once here (and not kept).
                tokio::task::spawn_blocking(move || {
                    let generator = BoardGen::new(params.clone(), params.as_of);
                    let expected: Vec<Expected> = (0..params.schools)
                        .filter(|&i| params.planted && (i == 0 || params.is_uwlr_school(i)))
                        .flat_map(|i| generator.school(i).1)
                        .collect();
                    (State::lazy(generator, cache), expected)
                })
                .await
                .map_err(|e| MockError::Dataset(format!("generator failed: {e}")))?
            }
        };
        let cancel = CancellationToken::new();
        let shared = Arc::new(Shared {
            state: RwLock::new(state),
            counters: Mutex::new(BTreeMap::new()),
            faults: RwLock::new(config.faults),
            seed,
            token_lifetime: RwLock::new(config.token_lifetime),
            task_delay: RwLock::new(Duration::ZERO),
            cancel: cancel.clone(),
        });
        let routers = [
            gkv::router(shared.clone()).merge(uwlr::router(shared.clone())),
            rest::parnassys(shared.clone()),
            rest::leeruniek(shared.clone()),
        ];
        let mut urls: [String; 3] = Default::default();
        let mut servers = Vec::new();
        for (i, router) in routers.into_iter().enumerate() {
            let mut addr = config.listen;
            if addr.port() != 0 {
                addr.set_port(addr.port() + i as u16);
            }
            let listener = TcpListener::bind(addr).await?;
            let local = listener.local_addr()?;
            urls[i] = format!("http://{local}");
            let token = cancel.clone();
            servers.push(tokio::spawn(async move {
                let served = axum::serve(listener, router)
                    .with_graceful_shutdown(token.cancelled_owned())
                    .await;
                if let Err(e) = served {
                    tracing::error!(error = %e, "mock server stopped with an error");
                }
            }));
        }
        Ok(MockBoard {
            shared,
            urls,
            servers: Mutex::new(servers),
            expected,
        })
    }

    /// Base URL of the GKV SOAP server (append `/bao/services/cxf/v3/generic`).
    pub fn gkv_url(&self) -> String {
        self.urls[0].clone()
    }

    /// URL of the UWLR `LeerlinggegevensService` (`HaalLeerlinggegevens`) of the ESIS-like
    /// schools, on the SOAP server.
    pub fn uwlr_url(&self) -> String {
        format!("{}{}", self.urls[0], uwlr::PATH)
    }

    /// Base URL of the ParnasSys REST server.
    pub fn parnassys_url(&self) -> String {
        self.urls[1].clone()
    }

    /// Base URL of the Leeruniek REST server.
    pub fn leeruniek_url(&self) -> String {
        self.urls[2].clone()
    }

    /// The URLs as the CLI prints them: `{"gkv": …, "parnassys": …, "leeruniek": …, "uwlr": …}`
    /// (`uwlr` is the full URL of `HaalLeerlinggegevens` on the SOAP server).
    pub fn urls_json(&self) -> String {
        serde_json::json!({
            "gkv": self.urls[0],
            "parnassys": self.urls[1],
            "leeruniek": self.urls[2],
            "uwlr": self.uwlr_url(),
        })
        .to_string()
    }

    /// Planted-case expectations (empty for fixtures).
    pub fn expected(&self) -> &[Expected] {
        &self.expected
    }

    /// BRINs served, sorted.
    pub fn schools(&self) -> Vec<String> {
        self.shared.read().brins()
    }

    /// A lazily served board (`DataSource::Lazy`): (schools in memory now, schools generated so
    /// far, seconds spent generating them); `None` for other boards.
    pub fn lazy_stats(&self) -> Option<(usize, u64, f64)> {
        self.shared.read().lazy_stats()
    }

    /// Brings a school of a lazily served board into memory (for `inspect`); a no-op elsewhere.
    /// It may be evicted again by later requests.
    pub fn load(&self, brin: &str) {
        drop(self.shared.pin_blocking(brin));
    }

    /// Credentials of an ESIS-like school `brin`: its UWLR access and its Leeruniek client
    /// (`None` for a ParnasSys school).
    pub fn uwlr_credentials(&self, brin: &str) -> Option<UwlrCredentials> {
        let st = self.shared.read();
        let access = st.uwlr_access(brin)?;
        let leeruniek = st
            .clients
            .values()
            .filter(|c| c.system == System::Leeruniek && c.schools.len() == 1 && c.schools[0] == brin)
            .map(|c| (c.client_id.clone(), c.client_secret.clone()))
            .next()?;
        Some(UwlrCredentials {
            url: self.uwlr_url(),
            access,
            leeruniek,
        })
    }

    /// Credentials of ParnasSys school `brin` for all three servers (`None` for an ESIS-like
    /// school: see [`MockBoard::uwlr_credentials`]).
    pub fn credentials(&self, brin: &str) -> Option<SchoolCredentials> {
        let st = self.shared.read();
        let leveranciersleutel = st.leveranciersleutel(brin)?;
        let client = |system: System| {
            st.clients
                .values()
                .filter(|c| c.system == system && c.schools.len() == 1 && c.schools[0] == brin)
                .map(|c| (c.client_id.clone(), c.client_secret.clone()))
                .next()
        };
        Some(SchoolCredentials {
            leveranciernaam: st.leveranciernaam.clone(),
            leveranciersleutel,
            parnassys: client(System::Parnassys)?,
            leeruniek: client(System::Leeruniek)?,
        })
    }

    /// Runs `f` on the live state (read-only), e.g. to pick records for a test.
    pub fn inspect<R>(&self, f: impl FnOnce(&State) -> R) -> R {
        f(&self.shared.read())
    }

    /// Adds or replaces any record; it appears in the change feed.
    pub fn upsert(&self, brin: &str, record: Record) -> Result<(), MockError> {
        let _pin = self.shared.pin_blocking(brin);
        self.shared.write().upsert(brin, record)
    }

    /// Deletes a record; a tombstone appears in the change feed. Returns whether it existed.
    pub fn delete(&self, brin: &str, kind: StreamKind, id: u64) -> Result<bool, MockError> {
        let _pin = self.shared.pin_blocking(brin);
        self.shared.write().delete(brin, kind, id)
    }

    /// Adds or changes a result.
    pub fn upsert_result(&self, brin: &str, result: TestResult) -> Result<(), MockError> {
        self.upsert(brin, Record::Result(result))
    }

    /// Deletes a result.
    pub fn delete_result(&self, brin: &str, id: u64) -> Result<bool, MockError> {
        self.delete(brin, StreamKind::Results, id)
    }

    /// Adds or changes a note.
    pub fn upsert_note(&self, brin: &str, note: Note) -> Result<(), MockError> {
        self.upsert(brin, Record::Note(note))
    }

    /// Deletes a note.
    pub fn delete_note(&self, brin: &str, id: u64) -> Result<bool, MockError> {
        self.delete(brin, StreamKind::Notes, id)
    }

    /// Adds or changes a plan.
    pub fn upsert_plan(&self, brin: &str, plan: Plan) -> Result<(), MockError> {
        self.upsert(brin, Record::Plan(plan))
    }

    /// Deletes a plan.
    pub fn delete_plan(&self, brin: &str, id: u64) -> Result<bool, MockError> {
        self.delete(brin, StreamKind::Plans, id)
    }

    /// Moves the reference date to `day` (simulation): every record of `timeline` that appears or
    /// changes after the current reference date up to `day` goes into its change feed, and the GKV
    /// roster (pupils, groups, groepsindelingen, school years) becomes the one of `day`. Returns
    /// the number of records released.
    pub fn advance_to(&self, timeline: &crate::timeline::Timeline, day: chrono::NaiveDate) -> usize {
        let mut st = self.shared.write();
        let after = st.as_of;
        let changes = timeline.changes(after, day);
        let released = changes.len();
        for (brin, record) in changes {
            if let Err(e) = st.upsert(&brin, record) {
                tracing::warn!(error = %e, "timeline record for an unknown school");
            }
        }
        let brins: Vec<String> = timeline.full().schools.iter().map(|s| s.brin.clone()).collect();
        for (i, brin) in brins.iter().enumerate() {
            let Some((pupils, groups, members)) = timeline.roster_at(i, day) else {
                continue;
            };
            if let Ok(s) = st.school_mut(brin) {
                s.leerlingen = pupils;
                s.groepen = groups;
                s.groepsindelingen = members;
            }
        }
        st.school_years = timeline.school_years_at(day);
        st.as_of = day;
        released
    }

    /// Removes a pupil from the current school year's GKV snapshot (the pupil left).
    pub fn remove_pupil(&self, brin: &str, pupil_id: u64) -> Result<bool, MockError> {
        let _pin = self.shared.pin_blocking(brin);
        let mut st = self.shared.write();
        let s = st.school_mut(brin)?;
        let known = s.leerlingen.iter().any(|p| p.id == pupil_id);
        Ok(known && s.left.insert(pupil_id))
    }

    /// Enrols a pupil through group memberships (groepsindelingen): from now on the GKV snapshot
    /// of the memberships' school years lists them (a pupil who arrives during the day).
    pub fn add_memberships(&self, brin: &str, memberships: Vec<Membership>) -> Result<(), MockError> {
        let _pin = self.shared.pin_blocking(brin);
        let mut st = self.shared.write();
        let lazy = st.lazy.is_some();
        let school = st.school_mut(brin)?;
        if lazy {
            school.journal.push(Change::Members(memberships.clone()));
        }
        school.groepsindelingen.extend(memberships);
        Ok(())
    }

    /// Revokes consent: the school's GKV key and REST access stop working.
    pub fn revoke_school(&self, brin: &str) -> Result<(), MockError> {
        let _pin = self.shared.pin_blocking(brin);
        self.shared.write().school_mut(brin)?.revoked = true;
        Ok(())
    }

    /// Restores consent after `revoke_school`.
    pub fn restore_school(&self, brin: &str) -> Result<(), MockError> {
        let _pin = self.shared.pin_blocking(brin);
        self.shared.write().school_mut(brin)?.revoked = false;
        Ok(())
    }

    /// Makes every issued token expired (the next call with one gets `401`).
    pub fn expire_tokens(&self) {
        let past = Instant::now();
        for t in self.shared.write().tokens.values_mut() {
            t.expires_at = past;
        }
    }

    /// Changes the lifetime of tokens issued from now on.
    pub fn set_token_lifetime(&self, lifetime: Duration) {
        *self
            .shared
            .token_lifetime
            .write()
            .unwrap_or_else(PoisonError::into_inner) = lifetime;
    }

    /// Replaces the fault-injection settings.
    pub fn set_faults(&self, faults: FaultConfig) {
        *self.shared.faults.write().unwrap_or_else(PoisonError::into_inner) = faults;
    }

    /// Holds back the answer to every newly created task (ParnasSys and Leeruniek) by `delay`
    /// after the task was stored, as a slow write endpoint would: a client stopped in that time
    /// has pushed the task without hearing so. Replays of a known idempotency key answer at once.
    pub fn set_task_delay(&self, delay: Duration) {
        *self
            .shared
            .task_delay
            .write()
            .unwrap_or_else(PoisonError::into_inner) = delay;
    }

    /// Tasks pushed to ParnasSys for `brin`, in creation order.
    pub fn pushed_parnassys_tasks(&self, brin: &str) -> Vec<PsTask> {
        let _pin = self.shared.pin_blocking(brin);
        self.inspect(|st| {
            st.schools
                .get(brin)
                .map(|s| s.ps_tasks.iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// Tasks pushed to Leeruniek for `brin`, in creation order.
    pub fn pushed_leeruniek_tasks(&self, brin: &str) -> Vec<LuTask> {
        let _pin = self.shared.pin_blocking(brin);
        self.inspect(|st| {
            st.schools
                .get(brin)
                .map(|s| s.lu_tasks.iter().cloned().collect())
                .unwrap_or_default()
        })
    }

    /// Requests received on one endpoint label (e.g. `parnassys.resultaten`, `gkv.getLeerlingen`).
    /// A task POST answered from its idempotency key (the task existed) also counts under
    /// `<label>.replayed` (`parnassys.taken.post.replayed`, `leeruniek.tasks.post.replayed`).
    pub fn request_count(&self, label: &str) -> u64 {
        self.shared.counters().get(label).copied().unwrap_or(0)
    }

    /// All request counters.
    pub fn request_counts(&self) -> BTreeMap<String, u64> {
        self.shared.counters().clone()
    }

    /// Resets all request counters.
    pub fn reset_counters(&self) {
        self.shared.counters().clear();
    }

    /// Stops the servers gracefully and waits for them.
    pub async fn shutdown(self) {
        self.shared.cancel.cancel();
        let servers = std::mem::take(&mut *self.servers.lock().unwrap_or_else(PoisonError::into_inner));
        for s in servers {
            let _ = s.await;
        }
    }
}

impl Drop for MockBoard {
    fn drop(&mut self) {
        self.shared.cancel.cancel();
    }
}
