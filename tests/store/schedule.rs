//! Schedulers and runners against the real store (moved here from `src/schedule/store_tests.rs`
//! so they run in the contract suite's harness on both engines). Scheduler tests pause time:
//! whole weekends pass in milliseconds. The scheduler's planning against an in-memory queue is
//! unit-tested in `src/schedule/scheduler_tests.rs`.

use std::collections::HashSet;
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use chrono::{DateTime, TimeZone, Utc};
use tokio_util::sync::CancellationToken;
use zorgsignaal::schedule::{
    Clock, JOB_EVALUATE, JOB_SYNC, JobFailure, JobQueue, Runner, ScheduleError, Scheduler, SchedulerOptions,
    Slot, due_ticks,
};
use zorgsignaal::settings::ScheduleSettings;
use zorgsignaal::store::Store;

/// Runs `io` on tokio's blocking pool and waits for it. Under paused time tokio does not
/// auto-advance the clock while a blocking task runs, so connection and query timeouts cannot
/// fire spuriously during real I/O. A no-op wrapper in real time.
async fn still<T: Send + 'static>(io: impl Future<Output = T> + Send + 'static) -> T {
    let runtime = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || runtime.block_on(io))
        .await
        .expect("blocking I/O task")
}

fn utc(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0)
        .single()
        .expect("valid UTC time")
}

/// The store, with each enqueue run through [`still`]: virtual time stands still during database
/// I/O (as real time nearly does: a tick takes milliseconds) instead of racing ahead to the next
/// timer while a query is in flight.
struct StillClockQueue(Arc<dyn Store>);

#[async_trait::async_trait]
impl JobQueue for StillClockQueue {
    async fn enqueue(&self, job: &str, scheduled_at: DateTime<Utc>) -> Result<bool, ScheduleError> {
        let (store, job) = (self.0.clone(), job.to_owned());
        Ok(still(async move { store.enqueue_job(&job, scheduled_at).await }).await?)
    }
}

/// Claims and finishes every queued run; returns the slots found.
async fn drain(store: Arc<dyn Store>) -> Vec<Slot> {
    still(async move {
        let mut slots = Vec::new();
        while let Some(run) = store
            .claim_job(utc(2100, 1, 1, 0, 0), "drain")
            .await
            .expect("claim")
        {
            store.finish_job(run.id, "drain", Ok(())).await.expect("finish");
            slots.push(Slot {
                job: run.job,
                scheduled_at: run.scheduled_at,
            });
        }
        slots
    })
    .await
}

/// Two schedulers over one store tick concurrently from `start` to `end`; every slot of every
/// default job in that span is enqueued exactly once, and each scheduler saw every slot.
async fn two_schedulers_enqueue_each_slot_once(
    store: Arc<dyn Store>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) {
    let settings = ScheduleSettings::default();
    let clock = Clock::anchored_at(start);
    let shutdown = CancellationToken::new();
    let spawn = |store: Arc<dyn Store>| {
        let scheduler = Scheduler::from_settings(&settings, SchedulerOptions::default()).expect("defaults");
        let (shutdown, clock) = (shutdown.clone(), clock.clone());
        tokio::spawn(async move { scheduler.run(&StillClockQueue(store), clock, shutdown).await })
    };
    let (a, b) = (spawn(store.clone()), spawn(store.clone()));
    tokio::time::sleep((end - start).to_std().expect("end after start")).await;
    shutdown.cancel();
    let (a, b) = (a.await.expect("scheduler a"), b.await.expect("scheduler b"));

    // The first tick looks back `catch_up` (3 h); no default job fires in that part of the spans used.
    let mut expected: Vec<Slot> = settings
        .entries()
        .into_iter()
        .flat_map(|(job, expr)| {
            due_ticks(expr, start, end)
                .expect("valid")
                .into_iter()
                .map(move |scheduled_at| Slot {
                    job: job.to_owned(),
                    scheduled_at,
                })
        })
        .collect();
    expected.sort_by_key(|s| (s.scheduled_at, s.job.clone()));
    let mut found = drain(store.clone()).await;
    found.sort_by_key(|s| (s.scheduled_at, s.job.clone()));
    assert_eq!(found, expected);
    assert_eq!(found.iter().collect::<HashSet<_>>().len(), found.len());

    assert_eq!(
        (a.failed_ticks, b.failed_ticks, a.collapsed, b.collapsed),
        (0, 0, 0, 0)
    );
    assert_eq!(
        a.enqueued + b.enqueued,
        expected.len(),
        "each slot inserted by exactly one"
    );
    assert_eq!(
        a.enqueued + a.already_queued,
        expected.len(),
        "scheduler a saw every slot"
    );
    assert_eq!(
        b.enqueued + b.already_queued,
        expected.len(),
        "scheduler b saw every slot"
    );
}

/// The spring-forward weekend: Saturday 2026-03-28 21:00 CET to Monday 14:10 CEST.
async fn spring_forward_weekend(store: Arc<dyn Store>) {
    let (start, end) = (utc(2026, 3, 28, 20, 0), utc(2026, 3, 30, 12, 10));
    two_schedulers_enqueue_each_slot_once(store.clone(), start, end).await;
    // Sanity on what was expected: retention on Sunday at 03:00 CEST (01:00 UTC) and the Monday
    // digest at 07:30 CEST (05:30 UTC) are among the slots, each once.
    let s = ScheduleSettings::default();
    assert_eq!(
        due_ticks(&s.retention, start, end).expect("valid")[0],
        utc(2026, 3, 29, 1, 0)
    );
    assert_eq!(
        due_ticks(&s.digest, start, end).expect("valid"),
        [utc(2026, 3, 30, 5, 30)]
    );
    assert_eq!(
        due_ticks(&s.sync, start, end).expect("valid").len(),
        15,
        "07:00 … 14:00"
    );
}

/// The fall-back weekend: Saturday 2026-10-24 21:00 CEST to Monday 14:10 CET.
async fn fall_back_weekend(store: Arc<dyn Store>) {
    let (start, end) = (utc(2026, 10, 24, 19, 0), utc(2026, 10, 26, 13, 10));
    two_schedulers_enqueue_each_slot_once(store, start, end).await;
    let s = ScheduleSettings::default();
    assert_eq!(
        due_ticks(&s.digest, start, end).expect("valid"),
        [utc(2026, 10, 26, 6, 30)]
    );
    assert_eq!(
        due_ticks(&s.retention, start, end).expect("valid").len(),
        2,
        "Sunday and Monday 03:00"
    );
}

/// A sync run, its evaluate follow-up, a failing and an unknown job: each ends in the right state.
async fn runner_dispatches_and_chains_evaluate(store: Arc<dyn Store>) {
    let slot = utc(2026, 1, 12, 6, 0);
    let synced = Arc::new(AtomicUsize::new(0));
    let counter = synced.clone();
    let runner = Runner::new("test-worker")
        .with_handler(JOB_SYNC, move |_run| {
            let counter = counter.clone();
            async move {
                counter.fetch_add(1, Ordering::SeqCst);
                Ok(())
            }
        })
        .with_handler(JOB_EVALUATE, |_run| async {
            Err(JobFailure("rules unavailable".into()))
        })
        .with_handler("explodes", |_run| async { panic!("handler bug") })
        .with_default_follow_ups();
    for job in [JOB_SYNC, "unknown", "explodes"] {
        assert!(store.enqueue_job(job, slot).await.expect("enqueue"));
    }
    let now = slot + chrono::TimeDelta::minutes(1);
    let mut results = Vec::new();
    while let Some(outcome) = runner.run_next(store.as_ref(), now).await.expect("run next") {
        results.push((
            outcome.run.job.clone(),
            outcome.result.is_ok(),
            outcome.follow_ups,
        ));
    }
    results.sort();
    assert_eq!(
        results,
        [
            ("evaluate".to_owned(), false, vec![]),
            ("explodes".to_owned(), false, vec![]),
            ("sync".to_owned(), true, vec!["evaluate".to_owned()]),
            ("unknown".to_owned(), false, vec![]),
        ]
    );
    assert_eq!(synced.load(Ordering::SeqCst), 1);
    // Everything is finished: nothing left to claim, even after every lease would have run out.
    assert!(drain(store.clone()).await.is_empty());
    // A second successful sync for the same slot adds no second evaluate.
    assert!(!store.enqueue_job(JOB_EVALUATE, slot).await.expect("enqueue"));
}

/// A failed run of a job with retries is queued again for its slot and claimed only after its
/// wait (doubling), its follow-up enqueued once it succeeds; a job without retries, and one
/// whose retries are used up, ends failed.
async fn failed_runs_are_retried_after_their_wait_then_failed(store: Arc<dyn Store>) {
    use zorgsignaal::schedule::{JOB_FULL_RECONCILE, RetryPolicy};
    let slot = utc(2026, 1, 12, 6, 0);
    let attempts = Arc::new(AtomicUsize::new(0));
    let counter = attempts.clone();
    let runner = Runner::new("test-worker")
        .with_handler(JOB_FULL_RECONCILE, move |_run| {
            let n = counter.fetch_add(1, Ordering::SeqCst);
            async move {
                if n < 2 {
                    Err(JobFailure("sync of 11ZW: 1 stream(s) failed".into()))
                } else {
                    Ok(())
                }
            }
        })
        .with_handler("digest", |_run| async { Err(JobFailure("SMTP refused".into())) })
        .with_handler(JOB_SYNC, |_run| async { Err(JobFailure("never retried".into())) })
        .with_handler(JOB_EVALUATE, |_run| async { Ok(()) })
        .with_default_follow_ups()
        // The full reconcile may take two retries, the digest one, the sync none.
        .with_retries(
            &[JOB_FULL_RECONCILE],
            RetryPolicy {
                retries: 2,
                delay: Duration::from_secs(300),
            },
        )
        .with_retries(
            &["digest"],
            RetryPolicy {
                retries: 1,
                delay: Duration::from_secs(300),
            },
        );
    for job in [JOB_FULL_RECONCILE, "digest", JOB_SYNC] {
        assert!(store.enqueue_job(job, slot).await.expect("enqueue"));
    }
    let at = |minutes: i64| slot + chrono::TimeDelta::minutes(minutes);
    let run_all = |now| {
        let (runner, store) = (runner.clone(), store.clone());
        async move {
            let mut out = Vec::new();
            while let Some(o) = runner.run_next(store.as_ref(), now).await.expect("run next") {
                out.push((o.run.job.clone(), o.run.attempts, o.result.is_ok(), o.follow_ups));
            }
            out.sort();
            out
        }
    };
    let failed = |job: &str, attempt| (job.to_owned(), attempt, false, Vec::<String>::new());
    assert_eq!(
        run_all(at(1)).await,
        [
            failed("digest", 1),
            failed(JOB_FULL_RECONCILE, 1),
            failed(JOB_SYNC, 1)
        ]
    );
    assert!(
        run_all(at(5)).await.is_empty(),
        "nothing before the wait of 5 minutes is over"
    );
    assert_eq!(
        run_all(at(6)).await,
        [failed("digest", 2), failed(JOB_FULL_RECONCILE, 2)]
    );
    // The second wait is 10 minutes after the second attempt (claimed at minute 6).
    assert!(run_all(at(15)).await.is_empty(), "the wait doubles");
    assert_eq!(
        run_all(at(16)).await,
        [
            (JOB_EVALUATE.to_owned(), 1, true, vec![]),
            (
                JOB_FULL_RECONCILE.to_owned(),
                3,
                true,
                vec![JOB_EVALUATE.to_owned()]
            )
        ]
    );
    assert_eq!(attempts.load(Ordering::SeqCst), 3);
    // Nothing is left: the digest and the sync ended failed, the reconcile and its follow-up done.
    assert!(drain(store.clone()).await.is_empty());
}

/// Two runner loops over one store: every queued run is handled exactly once.
async fn two_runners_handle_each_run_once(store: Arc<dyn Store>) {
    let first = utc(2026, 1, 12, 6, 0);
    let slots: Vec<DateTime<Utc>> = (0..20).map(|i| first + chrono::TimeDelta::minutes(i)).collect();
    for at in &slots {
        assert!(store.enqueue_job(JOB_SYNC, *at).await.expect("enqueue"));
    }
    let handled = Arc::new(std::sync::Mutex::new(Vec::new()));
    let shutdown = CancellationToken::new();
    let spawn = |worker: &str| {
        let handled = handled.clone();
        let runner = Runner::new(worker)
            .with_idle_poll(Duration::from_millis(10))
            .with_handler(JOB_SYNC, move |run| {
                let handled = handled.clone();
                async move {
                    handled.lock().expect("lock").push(run.scheduled_at);
                    Ok(())
                }
            });
        let (store, shutdown) = (store.clone(), shutdown.clone());
        tokio::spawn(async move { runner.run(store.as_ref(), Clock::System, shutdown).await })
    };
    let (a, b) = (spawn("worker-a"), spawn("worker-b"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    while handled.lock().expect("lock").len() < slots.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    shutdown.cancel();
    a.await.expect("runner a");
    b.await.expect("runner b");
    let mut handled = handled.lock().expect("lock").clone();
    handled.sort();
    assert_eq!(handled, slots);
}

/// Fan-out over two parallel runner loops: the scheduled sync becomes one run per school, each
/// school's sync chains that school's evaluation, every part is handled exactly once and after
/// its sync, and neither runner works on more than its parallel bound at once.
async fn fanned_out_school_runs_are_shared_by_two_parallel_runners(store: Arc<dyn Store>) {
    let slot = utc(2026, 1, 12, 6, 0);
    let schools: Vec<String> = (1..=6).map(|i| format!("{i:02}AA")).collect();
    assert!(store.enqueue_job(JOB_SYNC, slot).await.expect("enqueue"));
    let handled = Arc::new(std::sync::Mutex::new(Vec::<(String, String)>::new()));
    let busy = Arc::new(std::sync::Mutex::new(std::collections::HashMap::<
        String,
        (usize, usize),
    >::new()));
    let shutdown = CancellationToken::new();
    let spawn = |worker: &'static str| {
        let record = {
            let (handled, busy) = (handled.clone(), busy.clone());
            move |run: zorgsignaal::store::JobRun| {
                let (handled, busy) = (handled.clone(), busy.clone());
                async move {
                    {
                        let mut b = busy.lock().expect("lock");
                        let e = b.entry(worker.to_owned()).or_default();
                        e.0 += 1;
                        e.1 = e.1.max(e.0);
                    }
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    handled
                        .lock()
                        .expect("lock")
                        .push((worker.to_owned(), run.job.clone()));
                    busy.lock().expect("lock").entry(worker.to_owned()).or_default().0 -= 1;
                    Ok(())
                }
            }
        };
        let runner = Runner::new(worker)
            .with_idle_poll(Duration::from_millis(10))
            .with_parallel(2)
            .with_default_follow_ups()
            .with_fan_out(JOB_SYNC, schools.clone())
            .with_fan_out(JOB_EVALUATE, schools.clone())
            .with_handler(JOB_SYNC, record.clone())
            .with_handler(JOB_EVALUATE, record);
        let (store, shutdown) = (store.clone(), shutdown.clone());
        tokio::spawn(async move { runner.run(store.as_ref(), Clock::System, shutdown).await })
    };
    let (a, b) = (spawn("worker-a"), spawn("worker-b"));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while handled.lock().expect("lock").len() < 2 * schools.len() && tokio::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // A moment more: a double run would show up now.
    tokio::time::sleep(Duration::from_millis(200)).await;
    shutdown.cancel();
    a.await.expect("runner a");
    b.await.expect("runner b");
    let handled = handled.lock().expect("lock").clone();
    let mut jobs: Vec<String> = handled.iter().map(|(_, job)| job.clone()).collect();
    jobs.sort();
    let mut expected: Vec<String> = schools
        .iter()
        .flat_map(|s| [format!("evaluate:{s}"), format!("sync:{s}")])
        .collect();
    expected.sort();
    assert_eq!(jobs, expected, "every school synced and evaluated once");
    for s in &schools {
        let at = |job: String| handled.iter().position(|(_, j)| *j == job).expect("handled");
        assert!(
            at(format!("sync:{s}")) < at(format!("evaluate:{s}")),
            "{s} evaluated after its sync"
        );
    }
    let busy = busy.lock().expect("lock").clone();
    assert!(
        busy.values().all(|(_, max)| *max <= 2),
        "parallel bound kept: {busy:?}"
    );
    assert!(drain(store.clone()).await.is_empty(), "nothing left to claim");
}

/// `Runner::run_due_side_by_side` (the simulation's loop): schools' parts run together up to
/// the bound and really at once, never two runs of one school in one batch, each school's
/// evaluation after its sync, and a job of the whole board (the fan-out itself, the digest)
/// alone in its batch; a claimed run that cannot join is carried into the next batch, not lost.
async fn side_by_side_batches_keep_each_school_in_order_and_board_jobs_alone(store: Arc<dyn Store>) {
    const DIGEST: &str = "digest";
    let slot = utc(2026, 1, 12, 6, 0);
    let schools: Vec<String> = (1..=3).map(|i| format!("{i:02}AA")).collect();
    assert!(store.enqueue_job(JOB_SYNC, slot).await.expect("enqueue sync"));
    assert!(store.enqueue_job(DIGEST, slot).await.expect("enqueue digest"));
    let running = Arc::new(AtomicUsize::new(0));
    let most = Arc::new(AtomicUsize::new(0));
    let record = {
        let (running, most) = (running.clone(), most.clone());
        move |_run: zorgsignaal::store::JobRun| {
            let (running, most) = (running.clone(), most.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(40)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                Ok(())
            }
        }
    };
    let runner = Runner::new("side-by-side")
        .with_parallel(2)
        .with_default_follow_ups()
        .with_fan_out(JOB_SYNC, schools.clone())
        .with_fan_out(JOB_EVALUATE, schools.clone())
        .with_handler(JOB_SYNC, record.clone())
        .with_handler(JOB_EVALUATE, record.clone())
        .with_handler(DIGEST, record);
    let mut batches: Vec<Vec<String>> = Vec::new();
    let mut carried = None;
    loop {
        let outcomes = runner
            .run_due_side_by_side(store.as_ref(), slot, &mut carried)
            .await
            .expect("batch");
        if outcomes.is_empty() {
            break;
        }
        assert!(outcomes.iter().all(|o| o.result.is_ok()), "{outcomes:?}");
        batches.push(outcomes.into_iter().map(|o| o.run.job).collect());
    }
    assert!(carried.is_none(), "nothing left carried");
    let part = |job: &str| job.split_once(':').map(|(_, p)| p.to_owned());
    for batch in &batches {
        assert!(batch.len() <= 2, "bound kept: {batches:?}");
        if batch.iter().any(|job| part(job).is_none()) {
            assert_eq!(batch.len(), 1, "a board job runs alone: {batches:?}");
        }
        let parts: HashSet<Option<String>> = batch.iter().map(|job| part(job)).collect();
        assert_eq!(
            parts.len(),
            batch.len(),
            "one run per school in a batch: {batches:?}"
        );
    }
    let at = |job: &str| {
        batches
            .iter()
            .position(|b| b.iter().any(|j| j == job))
            .unwrap_or_else(|| panic!("{job} never ran: {batches:?}"))
    };
    for s in &schools {
        assert!(
            at(&format!("sync:{s}")) < at(&format!("evaluate:{s}")),
            "{batches:?}"
        );
    }
    let mut all: Vec<String> = batches.concat();
    all.sort();
    let mut expected: Vec<String> = schools
        .iter()
        .flat_map(|s| [format!("evaluate:{s}"), format!("sync:{s}")])
        .chain([DIGEST.to_owned(), JOB_SYNC.to_owned()])
        .collect();
    expected.sort();
    assert_eq!(all, expected, "every run once");
    assert_eq!(
        most.load(Ordering::SeqCst),
        2,
        "two handlers ran at the same time"
    );
    assert!(drain(store.clone()).await.is_empty(), "nothing left to claim");
}

/// A run in progress keeps its lease: the runner renews it, so another worker cannot take the
/// run over after the first lease would have run out. When a renewal finds the run taken over
/// (here: a worker claiming it as of a time past the lease), the handler is stopped and the
/// outcome is not recorded.
async fn running_runs_are_renewed_and_stopped_when_taken_over(store: Arc<dyn Store>) {
    let now = Utc::now();
    assert!(store.enqueue_job("long", now).await.expect("enqueue"));
    let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
    struct Dropped(Arc<std::sync::atomic::AtomicBool>);
    impl Drop for Dropped {
        fn drop(&mut self) {
            self.0.store(true, Ordering::SeqCst);
        }
    }
    let flag = stopped.clone();
    let runner = Runner::new("holder")
        .with_lease(Duration::from_secs(3))
        .with_handler("long", move |_run| {
            let guard = Dropped(flag.clone());
            async move {
                let _guard = guard;
                std::future::pending::<()>().await;
                Ok(())
            }
        });
    let peer = {
        let store = store.clone();
        tokio::spawn(async move {
            // Past the first lease (3 s): the run was renewed, so it is not due.
            tokio::time::sleep(Duration::from_secs(5)).await;
            let early = store.claim_job(Utc::now(), "peer").await.expect("claim");
            // A peer whose clock is an hour ahead sees the lease run out and takes it.
            let late = store
                .claim_job(Utc::now() + chrono::TimeDelta::hours(1), "peer")
                .await
                .expect("claim");
            (early, late)
        })
    };
    let outcome = runner
        .run_next(store.as_ref(), now)
        .await
        .expect("run next")
        .expect("a run");
    let (early, late) = peer.await.expect("peer");
    assert!(early.is_none(), "a renewed run is not taken over: {early:?}");
    let late = late.expect("the peer took the run over");
    assert_eq!((late.id, late.attempts), (outcome.run.id, 2));
    let failure = outcome.result.expect_err("stopped");
    assert!(failure.0.contains("lease lost"), "{failure}");
    assert!(stopped.load(Ordering::SeqCst), "the handler was stopped");
    // The run is the peer's: it finishes it, the stopped holder recorded nothing.
    store
        .finish_job(late.id, "peer", Ok(()))
        .await
        .expect("peer finishes");
}

/// Generates the tests of one engine on the contract suite's harness: scheduler scenarios under
/// paused time, runner scenarios in real time (the runner's claim loop has no timing to speed
/// up). Time is paused right after the harness has opened the store rather than with
/// `start_paused = true`: opening sqlx's PostgreSQL pool under a paused clock times out
/// (`PoolTimedOut`) even on the blocking pool.
macro_rules! engine_tests {
    ($engine:ident, paused: [$($paused:ident),*], real: [$($real:ident),*]) => {
        $(#[tokio::test]
        async fn $paused() {
            crate::harness::run(crate::harness::Engine::$engine, |ctx| async move {
                tokio::time::pause();
                super::$paused(ctx.store).await;
                tokio::time::resume();
            })
            .await;
        })*
        $(#[tokio::test]
        async fn $real() {
            crate::harness::run(crate::harness::Engine::$engine, |ctx| super::$real(ctx.store)).await;
        })*
    };
}

mod sqlite {
    engine_tests!(Sqlite, paused: [spring_forward_weekend, fall_back_weekend],
        real: [runner_dispatches_and_chains_evaluate, two_runners_handle_each_run_once,
            failed_runs_are_retried_after_their_wait_then_failed,
            fanned_out_school_runs_are_shared_by_two_parallel_runners,
            side_by_side_batches_keep_each_school_in_order_and_board_jobs_alone,
            running_runs_are_renewed_and_stopped_when_taken_over]);
}

mod postgres {
    engine_tests!(Postgres, paused: [spring_forward_weekend, fall_back_weekend],
        real: [runner_dispatches_and_chains_evaluate, two_runners_handle_each_run_once,
            failed_runs_are_retried_after_their_wait_then_failed,
            fanned_out_school_runs_are_shared_by_two_parallel_runners,
            side_by_side_batches_keep_each_school_in_order_and_board_jobs_alone,
            running_runs_are_renewed_and_stopped_when_taken_over]);
}
