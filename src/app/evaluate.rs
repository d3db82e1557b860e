//! Evaluation pipeline: store histories → pure rules → signals and tasks back into the store.
//! The rules never see the store; this file is the only place the two meet.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use tracing::instrument;

use chrono_tz::Europe::Amsterdam;

use crate::domain::{Brin, CareLadder, SchoolYear, Signal, SignalStatus, Source, Task};
use crate::rules::{self, HistoryPlan, HistoryResult, PriorSignal, SchoolContext};
use crate::settings::Settings;
use crate::store::{self as st, SignalFilter, SignalUpsert, Store, StoreError};

/// The reason on the timeline of a reminder the evaluation resolved (shown to the IB).
pub const SETTLED_REASON: &str = "Wat ontbrak is in het bronsysteem vastgelegd (of het OPP is afgesloten).";

/// What one school's evaluation did.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct SchoolEvaluationSummary {
    /// School.
    pub school: String,
    /// Pupils evaluated.
    pub pupils: usize,
    /// Findings per rule id in this run (new or still firing).
    pub findings_per_rule: BTreeMap<String, usize>,
    /// Signals created in this run.
    pub signals_created: usize,
    /// Existing signals that got newer evidence.
    pub signals_updated: usize,
    /// Existing signals with nothing new.
    pub signals_unchanged: usize,
    /// Owner reminders found in this run (`plan_evaluation_due`): their tasks are stored, no
    /// signal is opened ([`rules::engine::OWNER_REMINDERS`]).
    pub owner_reminders: usize,
    /// Tasks created for the source system (each with exactly one outbox row).
    pub tasks_created: usize,
    /// Directie escalations created (escalatie naar de directie): mailed inside Zorgsignaal,
    /// never pushed into the pupil's file, so no outbox row.
    pub escalations_created: usize,
    /// Results whose test is not in the domain mapping (kept, fed to no rule).
    pub unknown_tests: usize,
    /// Lower signals inhibited by a higher one.
    pub inhibited: usize,
    /// Group-plan reminders (groepssignalen) created in this run (issue 16 item 10).
    pub group_signals_created: usize,
    /// Group-plan reminders resolved in this run: the rule no longer finds them.
    pub group_signals_resolved: u64,
    /// Active signals of pupils who left the school (uitgeschreven), resolved in this run.
    pub signals_resolved_left: usize,
    /// Pupil reminders of a missing record, and late evaluations, resolved in this run: the
    /// record (or the evaluation) was made
    /// ([`rules::engine::SETTLED_WHEN_RECORDED`], issue 18 item 5).
    pub signals_resolved: usize,
}

/// The actor named in the timeline and audit log for what the evaluation changes itself.
pub const SYSTEM_ACTOR: &str = "zorgsignaal";

/// Errors of the evaluation pipeline.
#[derive(Debug, thiserror::Error)]
pub enum EvaluateError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The school is not configured.
    #[error("school {0} is not in the configuration")]
    UnknownSchool(Brin),
    /// The school's care ladder is unknown (check-config prevents this).
    #[error("care ladder {0:?} of school {1} does not exist")]
    UnknownLadder(String, Brin),
}

/// The rule context of a configured school: its merged parameters, its ladder and its holidays.
pub fn school_context(settings: &Settings, brin: &Brin) -> Result<SchoolContext, EvaluateError> {
    let school = settings
        .school(brin)
        .ok_or_else(|| EvaluateError::UnknownSchool(brin.clone()))?;
    let ladder: CareLadder = settings
        .care_ladder(&school.care_ladder)
        .ok_or_else(|| EvaluateError::UnknownLadder(school.care_ladder.clone(), brin.clone()))?;
    Ok(SchoolContext {
        params: settings.rules_for(brin),
        ladder,
        calendar: school.school_calendar(),
    })
}

/// The systems that take tasks back for a configured school (enabled and with its credentials),
/// in the order ParnasSys, Leeruniek.
pub fn task_targets(settings: &Settings, brin: &Brin) -> Vec<Source> {
    let Some(school) = settings.school(brin) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if settings.sources.parnassys.enabled && school.parnassys.is_some() {
        out.push(Source::Parnassys);
    }
    if settings.sources.leeruniek.enabled && school.leeruniek.is_some() {
        out.push(Source::Leeruniek);
    }
    out
}

/// A pushed task goes to its own target when the school has that system among `targets`, else to
/// the school's first write-back system (a school whose LAS has no ParnasSys, such as an ESIS
/// school on UWLR, gets its tasks in Leeruniek). With no write-back system at all it stays as it
/// is (its push is parked with the reason).
fn route_task(task: &Task, targets: &[Source]) -> Task {
    let mut task = task.clone();
    if task.kind.is_pushed()
        && !targets.contains(&task.target)
        && let Some(first) = targets.first()
    {
        task.target = *first;
    }
    task
}

/// Evaluates every pupil of one school as of `as_of` and stores what was found: new signals are
/// created open, known ones get their evidence refreshed (never their status), tasks are created
/// once by key (with their outbox row), each routed to one of the school's write-back systems
/// `targets` ([`task_targets`]; empty: as the rule chose).
pub async fn evaluate_school(
    store: &dyn Store,
    brin: &Brin,
    ctx: &SchoolContext,
    targets: &[Source],
    as_of: NaiveDate,
    scope: Scope,
) -> Result<SchoolEvaluationSummary, EvaluateError> {
    evaluate_school_cached(
        store,
        brin,
        ctx,
        targets,
        Moment::system(as_of),
        scope,
        &mut HistoryCache::default(),
    )
    .await
}

/// When an evaluation runs: the day the rules look from and the program clock's time the tasks
/// it creates are stamped with (so a replayed year pushes them on the simulated day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Moment {
    /// Reference date (peildatum): nothing after it is seen.
    pub as_of: NaiveDate,
    /// The program clock's now ([`crate::schedule::Clock::now`]).
    pub now: DateTime<Utc>,
}

impl Moment {
    /// `as_of` with the system clock's now: a command run by hand (`evaluate`, `demo`).
    pub fn system(as_of: NaiveDate) -> Self {
        Self {
            as_of,
            now: Utc::now(),
        }
    }
}

/// [`evaluate_school`] reading the histories through `cache`: a run reads only what changed
/// since the cache's last read, and the rules get the cached histories lent, not copied.
#[instrument(skip_all, fields(school = %brin, as_of = %at.as_of, scope = ?scope), err)]
pub async fn evaluate_school_cached(
    store: &dyn Store,
    brin: &Brin,
    ctx: &SchoolContext,
    targets: &[Source],
    at: Moment,
    scope: Scope,
    cache: &mut HistoryCache,
) -> Result<SchoolEvaluationSummary, EvaluateError> {
    let as_of = at.as_of;
    let notes_since = note_window_start(as_of);
    let mut lent = match scope {
        Scope::AllPupils => {
            cache.refresh(store, brin, notes_since, true, None).await?;
            cache.lend(brin, None, as_of)
        }
        Scope::ChangedSince(since) => {
            let asked_at = Utc::now();
            let changes = store.pupil_changes_since(brin, since).await?;
            let ids: Vec<i64> = changes.iter().map(|c| c.pupil_id).collect();
            if ids.is_empty() {
                // Nothing changed: nothing to find that the last run did not (group plans and
                // date-based findings are the daily full run's).
                tracing::debug!("no pupil changed, nothing evaluated");
                return Ok(SchoolEvaluationSummary {
                    school: brin.to_string(),
                    ..SchoolEvaluationSummary::default()
                });
            }
            if cache.holds(brin, notes_since) {
                let changed = Changed {
                    since,
                    asked_at,
                    changes: &changes,
                };
                cache
                    .refresh(store, brin, notes_since, false, Some(changed))
                    .await?;
                cache.lend(brin, Some(&ids), as_of)
            } else {
                // No histories kept for the school (a command run by hand): read just these.
                let read = read_pupils(store, brin, Some(&ids), notes_since).await?;
                Lent::owned(read, as_of)
            }
        }
    };
    let outcome = evaluate_lent(store, brin, ctx, targets, at, scope, &mut lent).await;
    if lent.from_cache {
        cache.give_back(brin, lent.histories);
    }
    outcome
}

/// The histories of one run: the pupils looked at who have not left, in pupil id order, as the
/// rules read them (their open signals are filled in by the run).
#[derive(Debug, Default)]
struct Lent {
    histories: Vec<rules::PupilHistory>,
    /// Per history: how many of its plans are the pupil's own (the rest are group plans).
    own_plans: Vec<usize>,
    /// The pupils looked at who have left, by their leaving date.
    left: HashMap<i64, NaiveDate>,
    /// Lent by the cache: given back after the run.
    from_cache: bool,
}

impl Lent {
    /// Histories read for one run only.
    fn owned(read: Vec<CachedPupil>, as_of: NaiveDate) -> Self {
        let mut lent = Self::default();
        for p in read {
            if let Some(h) = p.history {
                lent.take(h, p.left_on, p.own_plans, as_of);
            }
        }
        lent
    }

    /// Adds a pupil's history, or notes him as left: a pupil who has left (uitgeschreven on or
    /// before the day) stays in the store until retention deletes him, but no rule looks at him
    /// (no new signal, no task into a file the school no longer keeps). Answers the history
    /// back when he has left.
    fn take(
        &mut self,
        history: rules::PupilHistory,
        left_on: Option<NaiveDate>,
        own_plans: usize,
        as_of: NaiveDate,
    ) -> Option<rules::PupilHistory> {
        match left_on {
            Some(on) if on <= as_of => {
                self.left.insert(history.pupil_id, on);
                Some(history)
            }
            _ => {
                self.histories.push(history);
                self.own_plans.push(own_plans);
                None
            }
        }
    }
}

/// The evaluation of one run's `lent` histories and the store's writes of what it found.
async fn evaluate_lent(
    store: &dyn Store,
    brin: &Brin,
    ctx: &SchoolContext,
    targets: &[Source],
    at: Moment,
    scope: Scope,
    lent: &mut Lent,
) -> Result<SchoolEvaluationSummary, EvaluateError> {
    let as_of = at.as_of;
    let left = &lent.left;
    let prior = store
        .signals(&SignalFilter {
            school: Some(brin.clone()),
            ..SignalFilter::default()
        })
        .await?;
    // What the store holds, so that a finding it holds unchanged (the same evidence, rule and
    // severity: what `upsert_signal` would answer `Unchanged` to) and a task it holds cost no
    // write: a daily run over every pupil re-finds every open signal (issue 17: a replayed year
    // must run in minutes). Anything else goes through the store as before.
    let known_tasks: HashSet<String> = store.task_keys(brin).await?.into_iter().collect();
    // By key: the stored id (for the signals settled below) and the signal.
    let mut held: HashMap<String, (i64, Signal)> = HashMap::with_capacity(prior.len());
    let mut prior_by_pupil: HashMap<i64, Vec<PriorSignal>> = HashMap::new();
    // The signals still open of a pupil who left are closed: the IB cannot act on them any more,
    // and the digest would otherwise repeat them weekly until retention deletes the pupil.
    let mut of_leavers: Vec<(i64, NaiveDate)> = Vec::new();
    // Active reminders of a missing record, by pupil: resolved below when no longer found.
    let mut settles: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for row in prior {
        if row.signal.status.is_active()
            && let Some(on) = left.get(&row.pupil_id)
        {
            of_leavers.push((row.id, *on));
        }
        if rules::engine::SETTLED_WHEN_RECORDED.contains(&row.signal.rule.as_str())
            && row.signal.status.can_become(SignalStatus::Resolved)
        {
            settles
                .entry(row.pupil_id)
                .or_default()
                .push((row.id, row.signal.key.clone()));
        }
        prior_by_pupil.entry(row.pupil_id).or_default().push(PriorSignal {
            key: row.signal.key.clone(),
            rule: row.signal.rule.clone(),
            domain: row.signal.domain,
            opened_on: row.signal.opened_on,
            status: row.signal.status,
            severity: Some(row.signal.severity),
        });
        held.insert(row.signal.key.clone(), (row.id, row.signal));
    }
    // Group plans (groepsplannen) of the school, once each: the pupils' histories carry them per
    // member of the group.
    let mut group_plans: BTreeMap<i64, HistoryPlan> = BTreeMap::new();
    for (h, own) in lent.histories.iter_mut().zip(&lent.own_plans) {
        for p in h.plans.get(*own..).unwrap_or_default() {
            group_plans.entry(p.id).or_insert_with(|| p.clone());
        }
        h.open_signals = prior_by_pupil.remove(&h.pupil_id).unwrap_or_default();
    }
    let histories = &lent.histories;
    let evaluation = rules::evaluate_all(histories, as_of, ctx);
    let by_id: HashMap<i64, &rules::PupilHistory> = histories.iter().map(|h| (h.pupil_id, h)).collect();

    let mut summary = SchoolEvaluationSummary {
        school: brin.to_string(),
        pupils: evaluation.stats.pupils,
        findings_per_rule: evaluation.stats.findings_per_rule.clone(),
        unknown_tests: evaluation.stats.normalise.unknown_tests,
        inhibited: evaluation.stats.inhibited,
        ..SchoolEvaluationSummary::default()
    };
    for pupil in &evaluation.pupils {
        let Some(history) = by_id.get(&pupil.pupil_id) else {
            continue;
        };
        for finding in &pupil.findings {
            let (signal, tasks) = finding.to_records(history, crate::rules::opened_on(finding, as_of));
            if rules::engine::is_owner_reminder(&signal.rule) {
                // The owner's reminder: its task only, no signal for the IB (issue 17).
                summary.owner_reminders += 1;
            } else if held
                .get(&signal.key)
                .is_some_and(|(_, h)| holds_unchanged(h, &signal))
            {
                summary.signals_unchanged += 1;
            } else {
                match store.upsert_signal(&signal, pupil.pupil_id).await? {
                    SignalUpsert::Created(_) => summary.signals_created += 1,
                    SignalUpsert::EvidenceAppended(_) => summary.signals_updated += 1,
                    SignalUpsert::Unchanged(_) => summary.signals_unchanged += 1,
                }
            }
            for task in &tasks {
                if known_tasks.contains(&task.key) {
                    continue;
                }
                let task = &route_task(task, targets);
                if store.upsert_task(task, at.now).await? {
                    if task.kind.is_pushed() {
                        summary.tasks_created += 1;
                    } else {
                        summary.escalations_created += 1;
                    }
                }
            }
        }
    }
    for (id, on) in of_leavers {
        let reason = format!("Leerling uitgeschreven op {}", on.format("%d-%m-%Y"));
        store
            .set_signal_status(id, SignalStatus::Resolved, Some(&reason), None, SYSTEM_ACTOR)
            .await?;
        summary.signals_resolved_left += 1;
    }
    // A reminder of a missing record the rule no longer finds for an evaluated pupil (a pupil who
    // left is not evaluated: his signals were closed above): the record was made (or the OPP
    // closed), so the stored signal is resolved (issue 18 item 5).
    // (Signal keys name their pupil, so one set of this run's keys serves every pupil.)
    let found: HashSet<&str> = evaluation
        .pupils
        .iter()
        .flat_map(|p| p.findings.iter().map(|f| f.signal.key.as_str()))
        .collect();
    for history in histories {
        let Some(stored) = settles.get(&history.pupil_id) else {
            continue;
        };
        for (id, key) in stored {
            if !found.contains(key.as_str()) && resolve_settled(store, *id, SETTLED_REASON).await? {
                summary.signals_resolved += 1;
            }
        }
    }
    // A late (or, for an OPP, a due) evaluation the school has since recorded settles its signal
    // (issue 17: it stayed open and was reminded in "nog open" after the evaluation).
    for history in histories {
        let late = rules::plan_evaluation_overdue::settled(history, as_of, ctx);
        let opp = rules::opp_yearly_evaluation::settled(history, as_of, ctx, &found);
        for done in late.into_iter().chain(opp) {
            let Some((id, _)) = held.get(&done.key) else {
                continue;
            };
            let reason = format!(
                "Evaluatie vastgelegd in het bronsysteem (gedateerd {}).",
                done.evaluated_on.format("%d-%m-%Y")
            );
            if resolve_settled(store, *id, &reason).await? {
                summary.signals_resolved += 1;
            }
        }
    }
    // Group-plan reminders, once per group plan (issue 16 item 10): stored per group. After a
    // run over every pupil, the open ones the rule no longer finds are resolved.
    let mut found_group_keys = Vec::new();
    for hp in group_plans.values() {
        let group = hp
            .plan
            .group_external_id
            .clone()
            .unwrap_or_else(|| format!("plan{}", hp.id));
        for finding in rules::evaluate_group_plans(std::slice::from_ref(hp), as_of, ctx) {
            let signal = finding.to_group_signal(brin, &group, as_of);
            found_group_keys.push(signal.key.clone());
            if let st::GroupSignalUpsert::Created(_) = store.upsert_group_signal(&signal).await? {
                summary.group_signals_created += 1;
            }
        }
    }
    if scope == Scope::AllPupils {
        summary.group_signals_resolved = store
            .resolve_group_signals_except(brin, &found_group_keys)
            .await?;
    }
    tracing::info!(
        pupils = summary.pupils,
        created = summary.signals_created,
        updated = summary.signals_updated,
        tasks = summary.tasks_created,
        "school evaluated"
    );
    Ok(summary)
}

/// The first moment whose notes the rules read at `as_of`: the first day of the previous school
/// year, Europe/Amsterdam (a bounded window: the dossier checks look back over three measurements,
/// `concern_notes` a few weeks).
pub fn note_window_start(as_of: NaiveDate) -> DateTime<Utc> {
    let day = SchoolYear::of_date(as_of).previous().first_day();
    day.and_hms_opt(0, 0, 0)
        .and_then(|t| t.and_local_timezone(Amsterdam).earliest())
        .map_or_else(
            || day.and_time(chrono::NaiveTime::MIN).and_utc(),
            |t| t.with_timezone(&Utc),
        )
}

/// Resolves stored signal `id`, settled by what the source recorded, as the system with `reason`;
/// `false` when the IB changed it meanwhile (theirs stands).
async fn resolve_settled(store: &dyn Store, id: i64, reason: &str) -> Result<bool, StoreError> {
    match store
        .set_signal_status(id, SignalStatus::Resolved, Some(reason), None, SYSTEM_ACTOR)
        .await
    {
        Ok(_) => Ok(true),
        Err(StoreError::Conflict(_)) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether the store's `held` signal is what `upsert_signal(found)` would leave as it is (the same
/// evidence, rule and severity, and the same text).
fn holds_unchanged(held: &Signal, found: &Signal) -> bool {
    held.rule == found.rule
        && held.severity == found.severity
        && held.evidence == found.evidence
        // A text of today goes to the store, which keeps it quietly (`upsert_signal`).
        && held.explanation == found.explanation
        && held.rule_version == found.rule_version
}

/// The pupils' histories of each school as last read, kept between evaluations of one process
/// and lent to the rules for a run (issue 17: the daily run over every pupil read every result,
/// membership, plan, absence, note and measurement of the simulated board, every day, to find
/// what it had found the day before, and copied the histories it kept for every run). A run
/// reads again, of the pupils [`st::HistoryStore::pupil_changes_since`] names since the previous
/// read, only the kinds of records it names for each ([`st::ChangedKinds`]: a new absence
/// re-reads the pupil's absences, not his results and measurements), drops pupils the store no
/// longer holds and reads pupils it has not seen whole; every
/// [`FULL_READ_EVERY`]th run over every pupil reads the school whole, and so does the first run
/// of a school year (the notes' window moves). Whoever deletes rows without a change stamp
/// (retention) must [`HistoryCache::clear`] it.
#[derive(Debug, Default)]
pub struct HistoryCache {
    schools: HashMap<Brin, CachedSchool>,
}

#[derive(Debug)]
struct CachedSchool {
    /// Taken right before the last read, on the clock of the store's change stamps (the system
    /// clock: see [`Scope::ChangedSince`]).
    read_at: DateTime<Utc>,
    /// Runs over every pupil served since the last whole read.
    refreshes: u32,
    /// The notes' window the histories were read with ([`note_window_start`]).
    notes_since: DateTime<Utc>,
    pupils: BTreeMap<i64, CachedPupil>,
}

/// A pupil's history as the rules read it (open signals left empty: they are the run's).
#[derive(Debug)]
struct CachedPupil {
    /// `None` while lent to a run.
    history: Option<rules::PupilHistory>,
    /// The day the pupil left, if so.
    left_on: Option<NaiveDate>,
    /// How many of `history.plans` are the pupil's own (the rest are his groups' plans).
    own_plans: usize,
}

/// What a run asked the store about changed pupils before refreshing the cache
/// ([`HistoryCache::refresh`]): the pupils and kinds of records
/// [`st::HistoryStore::pupil_changes_since`] named for `since` when asked at `asked_at`.
#[derive(Debug, Clone, Copy)]
struct Changed<'a> {
    since: DateTime<Utc>,
    asked_at: DateTime<Utc>,
    changes: &'a [st::PupilChanges],
}

/// A school's histories are read whole again after this many runs over every pupil served from
/// the cache (daily runs: once a week), so a change the stamps missed (a write committed after a
/// read that its stamp predates) lives at most that long.
pub const FULL_READ_EVERY: u32 = 7;

impl HistoryCache {
    /// Forgets every school: the next run reads them whole.
    pub fn clear(&mut self) {
        self.schools.clear();
    }

    /// Every pupil's history of `brin` as the rules read it at `as_of` (open signals empty), as
    /// the store holds it now ([`read_rule_histories`]), by pupil id; copies, for tests.
    pub async fn rule_histories(
        &mut self,
        store: &dyn Store,
        brin: &Brin,
        as_of: NaiveDate,
    ) -> Result<Vec<rules::PupilHistory>, StoreError> {
        self.refresh(store, brin, note_window_start(as_of), true, None)
            .await?;
        Ok(self
            .schools
            .get(brin)
            .map(|c| c.pupils.values().filter_map(|p| p.history.clone()).collect())
            .unwrap_or_default())
    }

    /// Whether the cache keeps `brin`'s histories read with the notes' window `notes_since`.
    fn holds(&self, brin: &Brin, notes_since: DateTime<Utc>) -> bool {
        self.schools
            .get(brin)
            .is_some_and(|c| c.notes_since == notes_since)
    }

    /// Brings `brin`'s histories up to what the store holds now; `counted`: a run over every
    /// pupil (counts towards the next whole read); `asked`: what the caller just asked the store
    /// about changed pupils, reused instead of asking again when it covers the cache's last read.
    async fn refresh(
        &mut self,
        store: &dyn Store,
        brin: &Brin,
        notes_since: DateTime<Utc>,
        counted: bool,
        asked: Option<Changed<'_>>,
    ) -> Result<(), StoreError> {
        // With `asked`, this read starts when the caller asked: what was committed after that
        // and stamped before it is asked for again by the next refresh.
        let read_at = asked.map_or_else(Utc::now, |k| k.asked_at);
        let reuse = self.schools.get(brin).is_some_and(|c| {
            c.notes_since == notes_since
                && (!counted || c.refreshes < FULL_READ_EVERY)
                && c.pupils.values().all(|p| p.history.is_some())
        });
        if !reuse {
            // Not held, due for a whole read, read with another notes' window, or a run that
            // lent them never gave them back (it was cancelled).
            self.schools.remove(brin);
            let pupils = read_pupils(store, brin, None, notes_since).await?;
            self.schools.insert(
                brin.clone(),
                CachedSchool {
                    read_at,
                    refreshes: 0,
                    notes_since,
                    pupils: pupils.into_iter().map(|p| (p.id(), p)).collect(),
                },
            );
            return Ok(());
        }
        let Some(cached) = self.schools.get_mut(brin) else {
            return Ok(());
        };
        // The pupils changed since `since` include those changed since the last read when
        // `since` is not later (a change stamped after the read is stamped after `since`): the
        // run after a sync asked that just now, so the question is not asked twice (issue 17:
        // the costliest statement of the evaluation). What they name that changed between the
        // two moments is read again: the same rows, or newer.
        let changes = match asked {
            Some(k) if k.since <= cached.read_at => k.changes.to_vec(),
            _ => store.pupil_changes_since(brin, cached.read_at).await?,
        };
        let known: BTreeSet<i64> = store
            .known_pupils(brin)
            .await?
            .into_iter()
            .map(|k| k.id)
            .collect();
        cached.pupils.retain(|id, _| known.contains(id));
        // Pupils the cache does not hold are read whole; of the others only the kinds of records
        // that changed (issue 17: a pupil with one new absence was read again whole, every result
        // and measurement of four years).
        let whole: Vec<i64> = known
            .iter()
            .copied()
            .filter(|id| !cached.pupils.contains_key(id))
            .collect();
        let mut kinds = KindIds::default();
        for c in &changes {
            if cached.pupils.contains_key(&c.pupil_id) {
                kinds.add(c);
            }
        }
        for p in read_pupils(store, brin, Some(&whole), notes_since).await? {
            cached.pupils.insert(p.id(), p);
        }
        cached.refresh_kinds(store, brin, &kinds, notes_since).await?;
        tracing::debug!(
            whole = whole.len(),
            profiles = kinds.profile.len(),
            results = kinds.results.len(),
            notes = kinds.notes.len(),
            absences = kinds.absences.len(),
            social_emotional = kinds.social_emotional.len(),
            pupils = cached.pupils.len(),
            "histories refreshed"
        );
        cached.read_at = read_at;
        if counted {
            cached.refreshes += 1;
        }
        Ok(())
    }

    /// Lends the histories of `brin`'s pupils `only` (all: `None`) for one run; pupils the cache
    /// does not hold are skipped. Whatever is lent must be [`HistoryCache::give_back`]en.
    fn lend(&mut self, brin: &Brin, only: Option<&[i64]>, as_of: NaiveDate) -> Lent {
        let mut lent = Lent {
            from_cache: true,
            ..Lent::default()
        };
        let Some(cached) = self.schools.get_mut(brin) else {
            return lent;
        };
        let mut lend_one = |p: &mut CachedPupil| {
            if let Some(h) = p.history.take() {
                // A pupil who has left is not lent: his history stays.
                p.history = lent.take(h, p.left_on, p.own_plans, as_of);
            }
        };
        match only {
            None => cached.pupils.values_mut().for_each(&mut lend_one),
            Some(ids) => {
                let ids: BTreeSet<i64> = ids.iter().copied().collect();
                for id in ids {
                    if let Some(p) = cached.pupils.get_mut(&id) {
                        lend_one(p);
                    }
                }
            }
        }
        lent
    }

    /// Takes back what [`HistoryCache::lend`] lent (their open signals dropped).
    fn give_back(&mut self, brin: &Brin, histories: Vec<rules::PupilHistory>) {
        let Some(cached) = self.schools.get_mut(brin) else {
            return;
        };
        for mut h in histories {
            h.open_signals = Vec::new();
            if let Some(p) = cached.pupils.get_mut(&h.pupil_id) {
                p.history = Some(h);
            }
        }
    }
}

/// The pupils held in a cache whose records of each kind changed ([`st::ChangedKinds`]), by id.
#[derive(Debug, Default)]
struct KindIds {
    profile: Vec<i64>,
    results: Vec<i64>,
    notes: Vec<i64>,
    absences: Vec<i64>,
    social_emotional: Vec<i64>,
}

impl KindIds {
    fn add(&mut self, c: &st::PupilChanges) {
        let k = c.kinds;
        for (changed, ids) in [
            (k.profile, &mut self.profile),
            (k.results, &mut self.results),
            (k.notes, &mut self.notes),
            (k.absences, &mut self.absences),
            (k.social_emotional, &mut self.social_emotional),
        ] {
            if changed {
                ids.push(c.pupil_id);
            }
        }
    }
}

impl CachedSchool {
    /// Reads again, of the pupils the cache holds, the kinds of records `kinds` names, each
    /// as a whole read reads it ([`read_pupils`]), and puts them in place of what was held.
    async fn refresh_kinds(
        &mut self,
        store: &dyn Store,
        brin: &Brin,
        kinds: &KindIds,
        notes_since: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if !kinds.profile.is_empty() {
            let mut read: HashMap<i64, st::PupilHistory> = store
                .pupil_profiles_for(brin, &kinds.profile)
                .await?
                .into_iter()
                .map(|h| (h.pupil.id, h))
                .collect();
            for id in &kinds.profile {
                let Some(h) = read.remove(id) else {
                    // Deleted since the store named him: gone, as a whole read would have it.
                    self.pupils.remove(id);
                    continue;
                };
                let Some(p) = self.pupils.get_mut(id) else {
                    continue;
                };
                let left_on = h.pupil.pupil.left_on;
                let own_plans = h.plans.len();
                let mut fresh = to_rule_history(h);
                if let Some(old) = p.history.take() {
                    fresh.results = old.results;
                    fresh.absences = old.absences;
                    fresh.notes = old.notes;
                    fresh.social_emotional = old.social_emotional;
                }
                *p = CachedPupil {
                    history: Some(fresh),
                    left_on,
                    own_plans,
                };
            }
        }
        if !kinds.results.is_empty() {
            let mut read = store.pupil_results_for(brin, &kinds.results).await?;
            self.put(&kinds.results, |h| {
                h.results = read
                    .remove(&h.pupil_id)
                    .unwrap_or_default()
                    .into_iter()
                    .map(history_result)
                    .collect();
            });
        }
        if !kinds.notes.is_empty() {
            let mut read = notes_by_pupil(store, brin, Some(&kinds.notes), notes_since).await?;
            self.put(&kinds.notes, |h| {
                h.notes = read.remove(&h.pupil_id).unwrap_or_default();
            });
        }
        if !kinds.absences.is_empty() {
            let mut read = absences_by_pupil(store, brin, Some(&kinds.absences)).await?;
            self.put(&kinds.absences, |h| {
                h.absences = read.remove(&h.pupil_id).unwrap_or_default();
            });
        }
        if !kinds.social_emotional.is_empty() {
            let mut read = social_emotional_by_pupil(store, brin, Some(&kinds.social_emotional)).await?;
            self.put(&kinds.social_emotional, |h| {
                h.social_emotional = read.remove(&h.pupil_id).unwrap_or_default();
            });
        }
        Ok(())
    }

    /// Runs `set` on the held history of each pupil `ids` names.
    fn put(&mut self, ids: &[i64], mut set: impl FnMut(&mut rules::PupilHistory)) {
        for id in ids {
            if let Some(h) = self.pupils.get_mut(id).and_then(|p| p.history.as_mut()) {
                set(h);
            }
        }
    }
}

impl CachedPupil {
    fn id(&self) -> i64 {
        self.history.as_ref().map_or(0, |h| h.pupil_id)
    }
}

/// The histories of `brin`'s pupils (all, or `only`) as the rules read them at a day whose
/// notes' window starts at `notes_since` ([`note_window_start`]), open signals empty, by pupil
/// id: the store's histories with the pupils' absences, notes and measurements.
pub async fn read_rule_histories(
    store: &dyn Store,
    brin: &Brin,
    only: Option<&[i64]>,
    notes_since: DateTime<Utc>,
) -> Result<Vec<rules::PupilHistory>, StoreError> {
    Ok(read_pupils(store, brin, only, notes_since)
        .await?
        .into_iter()
        .filter_map(|p| p.history)
        .collect())
}

async fn read_pupils(
    store: &dyn Store,
    brin: &Brin,
    only: Option<&[i64]>,
    notes_since: DateTime<Utc>,
) -> Result<Vec<CachedPupil>, StoreError> {
    let stored = match only {
        None => store.pupil_histories(brin).await?,
        Some(ids) => store.pupil_histories_for(brin, ids).await?,
    };
    // Verzuim (issue 18 item 2).
    let mut absences = absences_by_pupil(store, brin, only).await?;
    // The pupils' own notes of the current and previous school year, without their text (issue
    // 18 item 6): the dossier checks and `concern_notes` read their category and date.
    let mut notes = notes_by_pupil(store, brin, only, notes_since).await?;
    // Social-emotional measurements (issue 18 item 1).
    let mut social_emotional = social_emotional_by_pupil(store, brin, only).await?;
    Ok(stored
        .into_iter()
        .map(|h| {
            let id = h.pupil.id;
            let left_on = h.pupil.pupil.left_on;
            let own_plans = h.plans.len();
            CachedPupil {
                history: Some(rules::PupilHistory {
                    absences: absences.remove(&id).unwrap_or_default(),
                    social_emotional: social_emotional.remove(&id).unwrap_or_default(),
                    notes: notes.remove(&id).unwrap_or_default(),
                    ..to_rule_history(h)
                }),
                left_on,
                own_plans,
            }
        })
        .collect())
}

/// The absences of `brin`'s pupils (all, or `only`) as the rules read them, by pupil id.
async fn absences_by_pupil(
    store: &dyn Store,
    brin: &Brin,
    only: Option<&[i64]>,
) -> Result<HashMap<i64, Vec<crate::domain::Absence>>, StoreError> {
    let mut out: HashMap<i64, Vec<crate::domain::Absence>> = HashMap::new();
    for a in store.absences(brin, only).await? {
        out.entry(a.pupil_id).or_default().push(a.absence);
    }
    Ok(out)
}

/// The notes of `brin`'s pupils (all, or `only`) written at or after `notes_since`, as the rules
/// read them (no text), by pupil id.
async fn notes_by_pupil(
    store: &dyn Store,
    brin: &Brin,
    only: Option<&[i64]>,
    notes_since: DateTime<Utc>,
) -> Result<HashMap<i64, Vec<rules::HistoryNote>>, StoreError> {
    let mut out: HashMap<i64, Vec<rules::HistoryNote>> = HashMap::new();
    for m in store.note_marks(brin, only, notes_since).await? {
        out.entry(m.pupil_id).or_default().push(rules::HistoryNote {
            id: m.id,
            source: m.source,
            category_path: m.category_path,
            written_on: m.written_at.with_timezone(&Amsterdam).date_naive(),
        });
    }
    Ok(out)
}

/// The social-emotional measurements of `brin`'s pupils (all, or `only`), by pupil id.
async fn social_emotional_by_pupil(
    store: &dyn Store,
    brin: &Brin,
    only: Option<&[i64]>,
) -> Result<HashMap<i64, Vec<crate::domain::SocialEmotionalMeasurement>>, StoreError> {
    let mut out: HashMap<i64, Vec<crate::domain::SocialEmotionalMeasurement>> = HashMap::new();
    for m in store.social_emotional(brin, only).await? {
        out.entry(m.pupil_id).or_default().push(m.measurement);
    }
    Ok(out)
}

/// Which pupils an evaluation looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every pupil: needed at least daily, because the date-based rules (plan evaluation dates,
    /// the OPP deadline, how long a signal has been open) change with the date alone.
    AllPupils,
    /// Only pupils whose data changed since then: the re-evaluation right after a sync.
    ChangedSince(DateTime<Utc>),
}

/// Evaluates every pupil of every configured school (or one) and returns a summary per school.
pub async fn evaluate_schools(
    store: &dyn Store,
    settings: &Settings,
    only: Option<&Brin>,
    as_of: NaiveDate,
) -> Result<Vec<SchoolEvaluationSummary>, EvaluateError> {
    evaluate_schools_scoped(store, settings, only, as_of, Scope::AllPupils).await
}

/// Evaluates the pupils `scope` names in every configured school (or one).
pub async fn evaluate_schools_scoped(
    store: &dyn Store,
    settings: &Settings,
    only: Option<&Brin>,
    as_of: NaiveDate,
    scope: Scope,
) -> Result<Vec<SchoolEvaluationSummary>, EvaluateError> {
    evaluate_schools_cached(
        store,
        settings,
        only,
        Moment::system(as_of),
        scope,
        &mut HistoryCache::default(),
    )
    .await
}

/// [`evaluate_schools_scoped`] reading the histories through `cache` (the daemon keeps one).
pub async fn evaluate_schools_cached(
    store: &dyn Store,
    settings: &Settings,
    only: Option<&Brin>,
    at: Moment,
    scope: Scope,
    cache: &mut HistoryCache,
) -> Result<Vec<SchoolEvaluationSummary>, EvaluateError> {
    if let Some(b) = only
        && settings.school(b).is_none()
    {
        return Err(EvaluateError::UnknownSchool(b.clone()));
    }
    let mut out = Vec::new();
    for school in settings
        .schools
        .iter()
        .filter(|s| only.is_none_or(|b| *b == s.brin))
    {
        let ctx = school_context(settings, &school.brin)?;
        let targets = task_targets(settings, &school.brin);
        out.push(evaluate_school_cached(store, &school.brin, &ctx, &targets, at, scope, cache).await?);
    }
    Ok(out)
}

/// Converts the store's history of a pupil into the rule engine's plain input. The pupil's own
/// plans and the group plans of his groups both count (coverage, EED dossier).
fn to_rule_history(h: st::PupilHistory) -> rules::PupilHistory {
    let pupil_id = h.pupil.id;
    let plans = h
        .plans
        .into_iter()
        .chain(h.group_plans)
        .map(|p| HistoryPlan {
            id: p.id,
            plan: p.plan,
        })
        .collect();
    rules::PupilHistory {
        pupil_id,
        school: h.pupil.pupil.school.clone(),
        pupil_external_id: h.pupil.pupil.external_id.clone(),
        memberships: h.memberships,
        results: h.results.into_iter().map(history_result).collect(),
        plans,
        open_signals: Vec::new(),
        birth_date: h.pupil.pupil.birth_date,
        dyslexia_statement: h.pupil.pupil.dyslexia_statement,
        absences: Vec::new(),
        notes: Vec::new(),
        social_emotional: Vec::new(),
    }
}

/// A stored result as the rules read it.
fn history_result(r: st::StoredResult) -> HistoryResult {
    HistoryResult {
        id: r.id,
        result: r.result,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::TaskKind;

    fn task(kind: TaskKind, target: Source) -> Task {
        Task {
            key: "k".into(),
            signal_key: None,
            kind,
            school: Brin::parse("12AA").expect("brin"),
            pupil_external_id: "1".into(),
            target,
            title: "t".into(),
            body: "b".into(),
            due_on: None,
        }
    }

    #[test]
    fn a_task_goes_to_a_write_back_system_the_school_has() {
        let ps = task(TaskKind::TeacherTask, Source::Parnassys);
        // An ESIS school on UWLR with Leeruniek: its ParnasSys task goes to Leeruniek.
        assert_eq!(route_task(&ps, &[Source::Leeruniek]).target, Source::Leeruniek);
        assert_eq!(
            route_task(&ps, &[Source::Parnassys, Source::Leeruniek]).target,
            Source::Parnassys
        );
        let lu = task(TaskKind::OwnerReminder, Source::Leeruniek);
        assert_eq!(
            route_task(&lu, &[Source::Parnassys, Source::Leeruniek]).target,
            Source::Leeruniek
        );
        // No write-back system: as the rule chose (parked with the reason when pushed).
        assert_eq!(route_task(&ps, &[]).target, Source::Parnassys);
        // Escalations are mailed, never pushed: untouched.
        let esc = task(TaskKind::DirectieEscalation, Source::Parnassys);
        assert_eq!(route_task(&esc, &[Source::Leeruniek]).target, Source::Parnassys);
    }
}
