//! Contract tests for leases between daemons (issue 14, item 5) and for the bounded loads of the
//! board, the pupil page and the gauges (item 6): two store handles on one database act as two
//! daemons, each claiming under its own lease-holder id.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{TimeDelta, Utc};
use zorgsignaal::domain::{Brin, Membership, Pupil, Severity, SignalStatus};
use zorgsignaal::store::{self, OutboxCounts, OutboxFilter, OutboxStatus, StoreError};

use crate::harness::*;

const A: &str = "host-a:41:0badcafe";
const B: &str = "host-b:41:deadbeef";

fn lease_lost<T: std::fmt::Debug>(r: Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::LeaseLost(_)))
}

async fn outbox_row(store: &dyn store::Store, id: i64) -> store::OutboxItem {
    store
        .outbox(&OutboxFilter::default())
        .await
        .expect("outbox")
        .into_iter()
        .find(|o| o.id == id)
        .expect("row exists")
}

/// Daemon B starts while daemon A holds live leases: B's start-up releases none of them, B
/// cannot claim them, and B can neither renew, mark sent nor mark failed A's rows.
pub async fn start_up_leaves_a_live_peers_outbox_leases_alone(ctx: Ctx) {
    let a = ctx.store.clone();
    enrol(a.as_ref(), &["p1"]).await;
    for key in ["t1", "t2"] {
        a.upsert_task(&task(key, "p1"), Utc::now()).await.expect("task");
    }
    let now = Utc::now() + TimeDelta::seconds(1);
    let claimed = a.claim_outbox(now, 10, A).await.expect("A claims");
    assert_eq!(claimed.len(), 2);
    assert!(
        claimed
            .iter()
            .all(|i| i.lease_holder.as_deref() == Some(A) && i.status == OutboxStatus::InFlight)
    );

    let b = store::open(&ctx.url).await.expect("daemon B");
    assert_eq!(
        b.release_outbox_leases(now + TimeDelta::seconds(10), &|_| false)
            .await
            .expect("B's start-up"),
        0,
        "a live peer's leases are not released"
    );
    assert!(
        b.claim_outbox(now + TimeDelta::seconds(10), 10, B)
            .await
            .expect("B claims")
            .is_empty(),
        "A's rows are not due for B"
    );
    let row = claimed[0].id;
    assert!(lease_lost(b.mark_sent(row, B, "B-1").await));
    assert!(lease_lost(b.mark_failed(row, B, "HTTP 503", Some(now)).await));
    assert!(lease_lost(b.mark_failed(row, B, "HTTP 422", None).await));
    assert!(lease_lost(b.renew_outbox_lease(row, B, now).await));
    let still = outbox_row(a.as_ref(), row).await;
    assert_eq!(
        (still.status, still.lease_holder.as_deref(), still.remote_id),
        (OutboxStatus::InFlight, Some(A), None),
        "B's refused calls changed nothing"
    );

    // A still holds both: it renews and finishes them.
    a.renew_outbox_lease(row, A, now).await.expect("A renews");
    a.mark_sent(row, A, "A-1").await.expect("A marks sent");
    a.mark_failed(claimed[1].id, A, "HTTP 503", Some(now))
        .await
        .expect("A marks failed");
    let sent = outbox_row(a.as_ref(), row).await;
    assert_eq!(
        (
            sent.status,
            sent.remote_id.as_deref(),
            sent.lease_holder.as_deref()
        ),
        (OutboxStatus::Sent, Some("A-1"), Some(A))
    );
    b.close().await;
}

/// Once A's lease ran out B may take the row over; from then on A's calls are refused and the
/// row is B's to finish. A lease released by start-up after expiry is lost to A too.
pub async fn expired_outbox_lease_is_taken_over_and_the_former_holder_refused(ctx: Ctx) {
    let a = ctx.store.clone();
    enrol(a.as_ref(), &["p1"]).await;
    for key in ["t1", "t2"] {
        a.upsert_task(&task(key, "p1"), Utc::now()).await.expect("task");
    }
    let now = Utc::now() + TimeDelta::seconds(1);
    let first = a.claim_outbox(now, 1, A).await.expect("A claims")[0].clone();
    let b = store::open(&ctx.url).await.expect("daemon B");
    let expired = now + TimeDelta::seconds(store::OUTBOX_LEASE_SECS + 1);
    let taken = b.claim_outbox(expired, 10, B).await.expect("B takes over");
    let row = taken
        .iter()
        .find(|i| i.id == first.id)
        .expect("A's expired row is B's now");
    assert_eq!((row.attempts, row.lease_holder.as_deref()), (2, Some(B)));

    assert!(lease_lost(a.mark_sent(first.id, A, "A-1").await));
    assert!(lease_lost(
        a.mark_failed(first.id, A, "HTTP 503", Some(expired)).await
    ));
    assert!(lease_lost(a.renew_outbox_lease(first.id, A, expired).await));
    b.mark_sent(first.id, B, "B-1").await.expect("B marks sent");
    assert!(
        lease_lost(a.mark_sent(first.id, A, "A-1").await),
        "a late call of the former holder is refused after the takeover finished"
    );
    let sent = outbox_row(a.as_ref(), first.id).await;
    assert_eq!(
        (sent.status, sent.remote_id.as_deref()),
        (OutboxStatus::Sent, Some("B-1"))
    );

    // Start-up of a third daemon after B's lease on the second row ran out releases it (B is
    // gone); B's late call is refused.
    let second = taken
        .iter()
        .find(|i| i.id != first.id)
        .expect("B took the second row too")
        .id;
    let b_gone = expired + TimeDelta::seconds(store::OUTBOX_LEASE_SECS + 1);
    assert_eq!(
        a.release_outbox_leases(b_gone, &|_| false)
            .await
            .expect("start-up"),
        1
    );
    let released = outbox_row(a.as_ref(), second).await;
    assert_eq!(
        (released.status, released.lease_holder),
        (OutboxStatus::Pending, None)
    );
    assert!(lease_lost(b.mark_sent(second, B, "B-2").await));
    b.close().await;
}

/// A lease of the daemon's own length (`outbox.lease`): a claim and a renewal hold the row for
/// exactly that long, and a peer takes it over once it has passed (not a moment before).
pub async fn outbox_leases_last_the_given_length(ctx: Ctx) {
    let a = ctx.store.clone();
    enrol(a.as_ref(), &["p1"]).await;
    a.upsert_task(&task("t1", "p1"), Utc::now()).await.expect("task");
    let lease = TimeDelta::seconds(7);
    // Whole seconds: both engines give the stored lease end back exactly.
    let now = chrono::SubsecRound::trunc_subsecs(Utc::now(), 0) + TimeDelta::seconds(1);
    let row = a.claim_outbox_for(now, 1, A, lease).await.expect("A claims")[0].clone();
    assert_eq!(row.lease_until, Some(now + lease));
    let b = store::open(&ctx.url).await.expect("daemon B");
    let just_before = now + lease - TimeDelta::milliseconds(1);
    assert!(
        b.claim_outbox_for(just_before, 10, B, lease)
            .await
            .expect("B claims")
            .is_empty(),
        "a live lease is not taken over"
    );
    let renewed = now + TimeDelta::seconds(5);
    a.renew_outbox_lease_for(row.id, A, renewed, lease)
        .await
        .expect("A renews");
    assert_eq!(
        outbox_row(a.as_ref(), row.id).await.lease_until,
        Some(renewed + lease)
    );
    assert!(
        b.claim_outbox_for(now + lease, 10, B, lease)
            .await
            .expect("B claims")
            .is_empty(),
        "the renewal counts from the renewal"
    );
    let taken = b
        .claim_outbox_for(renewed + lease, 10, B, lease)
        .await
        .expect("B takes over");
    assert_eq!(
        taken.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(),
        [(row.id, 2)]
    );
    assert!(lease_lost(a.mark_sent(row.id, A, "A-1").await));
    b.close().await;
}

/// A school's lock across daemons (`SchoolLock`): on PostgreSQL a second daemon waits for it
/// until the first gives it up — or dies: closing its connection releases it —, while another
/// school's lock is free; on SQLite (one daemon per file) it never waits.
pub async fn a_school_lock_is_held_by_one_daemon_at_a_time(ctx: Ctx) {
    let (a, b) = (
        Brin::parse("11ZW").expect("brin"),
        Brin::parse("12AB").expect("brin"),
    );
    let postgres = ctx.url.starts_with("postgres");
    let first = store::SchoolLock::acquire(&ctx.url, &a).await.expect("lock");
    let other = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        store::SchoolLock::acquire(&ctx.url, &b),
    )
    .await
    .expect("another school's lock is free")
    .expect("lock");
    let url = ctx.url.clone();
    let waiting = tokio::spawn({
        let a = a.clone();
        async move { store::SchoolLock::acquire(&url, &a).await.expect("lock") }
    });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        waiting.is_finished(),
        !postgres,
        "the second holder waits (PostgreSQL only)"
    );
    drop(first); // as a killed daemon's connection goes
    let second = tokio::time::timeout(std::time::Duration::from_secs(10), waiting)
        .await
        .expect("the lock passes on once its connection is gone")
        .expect("task");
    second.release().await;
    other.release().await;
}

/// A daemon starting where its predecessor was killed (the holder is proven dead, see
/// `lease_holder_is_gone`) takes that holder's rows back at once, live leases or not; rows of a
/// holder not proven dead stay.
pub async fn start_up_releases_a_dead_holders_leases_at_once(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    for key in ["t1", "t2", "t3"] {
        store
            .upsert_task(&task(key, "p1"), Utc::now())
            .await
            .expect("task");
    }
    let now = Utc::now() + TimeDelta::seconds(1);
    let dead = store.claim_outbox(now, 2, A).await.expect("A claims two");
    let alive = store.claim_outbox(now, 1, B).await.expect("B claims one");
    assert_eq!((dead.len(), alive.len()), (2, 1));
    let starting = "host-a:42:00c0ffee";
    let released = store
        .release_outbox_leases(now, &|holder| holder == A)
        .await
        .expect("start-up");
    assert_eq!(released, 2, "only the dead holder's rows");
    assert!(lease_lost(store.mark_sent(dead[0].id, A, "A-1").await));
    let again = store
        .claim_outbox(now, 10, starting)
        .await
        .expect("the new daemon claims");
    assert_eq!(
        again.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(),
        dead.iter().map(|i| (i.id, 2)).collect::<Vec<_>>()
    );
    let kept = outbox_row(store, alive[0].id).await;
    assert_eq!(
        (kept.status, kept.lease_holder.as_deref()),
        (OutboxStatus::InFlight, Some(B))
    );
}

/// Job runs: only the worker that claimed a run finishes it; after the lease ran out another
/// worker takes it over and the first one's outcome is refused.
pub async fn job_runs_are_finished_only_by_their_lease_holder(ctx: Ctx) {
    let a = ctx.store.clone();
    let b = store::open(&ctx.url).await.expect("daemon B");
    let slot = at(2026, 2, 2, 6);
    a.enqueue_job("sync", slot).await.expect("enqueue");
    let run = a.claim_job(slot, A).await.expect("claim").expect("A's run");
    assert!(lease_lost(b.finish_job(run.id, B, Ok(())).await));
    assert!(lease_lost(b.finish_job(run.id, B, Err("boom")).await));
    assert!(
        b.claim_job(slot, B).await.expect("claim").is_none(),
        "A's run is still running under A"
    );

    let expired = slot + TimeDelta::seconds(store::JOB_LEASE_SECS + 1);
    let taken = b
        .claim_job(expired, B)
        .await
        .expect("claim")
        .expect("B takes the run over");
    assert_eq!((taken.id, taken.attempts), (run.id, 2));
    assert!(
        lease_lost(a.finish_job(run.id, A, Ok(())).await),
        "A lost the run"
    );
    b.finish_job(run.id, B, Err("SMTP refused"))
        .await
        .expect("B finishes");
    assert!(lease_lost(a.finish_job(run.id, A, Ok(())).await));
    assert!(matches!(
        b.finish_job(run.id, B, Ok(())).await,
        Err(StoreError::Conflict(_))
    ));
    b.close().await;
}

/// A job run's lease: claimed for a given time, renewed only by its holder (which moves its end),
/// taken over only once the renewed lease ran out, after which the former holder can neither
/// renew nor finish it. `held_leases` counts per holder what it holds: running runs and
/// in-flight outbox rows.
pub async fn job_leases_are_renewed_by_their_holder_and_counted_per_holder(ctx: Ctx) {
    let a = ctx.store.clone();
    let b = store::open(&ctx.url).await.expect("daemon B");
    let slot = at(2026, 2, 2, 6);
    let lease = TimeDelta::seconds(30);
    for school in ["sync:01AA", "sync:02BB"] {
        a.enqueue_job(school, slot).await.expect("enqueue");
    }
    let first = a
        .claim_job_for(slot, A, lease)
        .await
        .expect("claim")
        .expect("A's first run");
    let second = b
        .claim_job_for(slot, B, lease)
        .await
        .expect("claim")
        .expect("B gets the other run, not A's");
    assert_ne!(first.id, second.id);
    assert_eq!(
        (first.job.as_str(), second.job.as_str()),
        ("sync:01AA", "sync:02BB"),
        "oldest slot first, then by id"
    );
    enrol(a.as_ref(), &["p1"]).await;
    a.upsert_task(&task("t1", "p1"), Utc::now()).await.expect("task");
    assert_eq!(
        a.claim_outbox(Utc::now() + TimeDelta::seconds(1), 10, A)
            .await
            .expect("A claims a row")
            .len(),
        1
    );
    assert_eq!(
        a.held_leases(A).await.expect("A holds"),
        store::HeldLeases {
            job_runs: 1,
            outbox_rows: 1
        }
    );
    assert_eq!(
        b.held_leases(B).await.expect("B holds"),
        store::HeldLeases {
            job_runs: 1,
            outbox_rows: 0
        }
    );

    // A renews before its lease runs out; at the old end the run is not due for B (which renewed
    // its own run well past it).
    a.renew_job(first.id, A, slot + lease * 2)
        .await
        .expect("A renews");
    b.renew_job(second.id, B, slot + lease * 9)
        .await
        .expect("B renews");
    assert!(lease_lost(b.renew_job(first.id, B, slot + lease * 9).await));
    assert!(
        b.claim_job_for(slot + lease + TimeDelta::seconds(1), B, lease)
            .await
            .expect("claim")
            .is_none(),
        "the renewed lease holds"
    );
    // Once the renewed lease ran out B takes it over; A's heartbeat and outcome are refused.
    let taken = b
        .claim_job_for(slot + lease * 2 + TimeDelta::seconds(1), B, lease)
        .await
        .expect("claim")
        .expect("B takes A's run over");
    assert_eq!((taken.id, taken.attempts), (first.id, 2));
    assert!(lease_lost(a.renew_job(first.id, A, slot + lease * 4).await));
    assert!(lease_lost(a.finish_job(first.id, A, Ok(())).await));
    assert_eq!(a.held_leases(A).await.expect("A holds").job_runs, 0);
    assert_eq!(b.held_leases(B).await.expect("B holds").job_runs, 2);
    b.finish_job(first.id, B, Ok(())).await.expect("B finishes");
    b.finish_job(second.id, B, Ok(())).await.expect("B finishes");
    assert!(
        lease_lost(b.renew_job(first.id, B, slot + lease * 9).await),
        "a finished run is not renewed"
    );
    assert!(matches!(
        b.renew_job(first.id + 1000, B, slot).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(b.held_leases(B).await.expect("B holds").job_runs, 0);
    b.close().await;
}

/// Two daemons claiming at the same moment never get the same run: 12 runs, 12 claims split
/// over two store handles, every run claimed exactly once.
pub async fn concurrent_job_claims_never_share_a_run(ctx: Ctx) {
    let a = ctx.store.clone();
    let b = store::open(&ctx.url).await.expect("daemon B");
    let slot = at(2026, 2, 2, 6);
    for i in 0..12 {
        a.enqueue_job(&format!("sync:{i:02}ZZ"), slot)
            .await
            .expect("enqueue");
    }
    let claim = |s: std::sync::Arc<dyn store::Store>, who: &'static str| async move {
        let mut got = Vec::new();
        while let Some(run) = s.claim_job(slot, who).await.expect("claim") {
            got.push(run.id);
        }
        got
    };
    let (from_a, from_b) = tokio::join!(claim(a.clone(), A), claim(b.clone(), B));
    let mut all: Vec<i64> = from_a.iter().chain(&from_b).copied().collect();
    all.sort_unstable();
    all.dedup();
    assert_eq!(all.len(), from_a.len() + from_b.len(), "no run claimed twice");
    assert_eq!(all.len(), 12, "every run claimed");
    b.close().await;
}

fn pupil_at(school: &Brin, id: &str) -> Pupil {
    Pupil {
        school: school.clone(),
        ..pupil(id)
    }
}

/// The board's counts come from one grouped query and equal what loading every signal gave.
pub async fn board_counts_equal_the_full_signal_load(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2", "p3"]).await;
    let other = other_brin();
    store
        .apply_snapshot(
            &other,
            year(),
            &[pupil_at(&other, "q1")],
            &[],
            &[] as &[Membership],
            at(2025, 9, 1, 3),
        )
        .await
        .expect("other school");
    let mut ids: BTreeMap<(Brin, String), i64> = BTreeMap::new();
    for school in [brin(), other.clone()] {
        for h in store.pupil_histories(&school).await.expect("histories") {
            ids.insert((school.clone(), h.pupil.pupil.external_id.clone()), h.pupil.id);
        }
    }
    // (school, pupil, key, severity, status to move to)
    let seed: &[(&Brin, &str, &str, Severity, Option<SignalStatus>)] = &[
        (&brin(), "p1", "k1", Severity::High, None),
        (
            &brin(),
            "p1",
            "k2",
            Severity::Medium,
            Some(SignalStatus::Acknowledged),
        ),
        (&brin(), "p2", "k3", Severity::High, None),
        (&brin(), "p2", "k4", Severity::Low, Some(SignalStatus::Resolved)),
        (&brin(), "p3", "k5", Severity::Low, Some(SignalStatus::Dismissed)),
        (&other, "q1", "k6", Severity::Medium, None),
        (&other, "q1", "k7", Severity::Low, Some(SignalStatus::Resolved)),
    ];
    for (school, pupil, key, severity, status) in seed {
        let mut s = signal(key, pupil, &["1"]);
        s.school = (*school).clone();
        s.severity = *severity;
        let id = store
            .upsert_signal(&s, ids[&((*school).clone(), (*pupil).to_owned())])
            .await
            .expect("signal")
            .id();
        if let Some(status) = status {
            let reason = (*status == SignalStatus::Dismissed).then_some("al bekend");
            store
                .set_signal_status(id, *status, reason, None, "ib")
                .await
                .expect("status");
        }
    }

    // What the board computed before: every signal loaded, filtered and counted in memory.
    let all = store
        .signals(&zorgsignaal::store::SignalFilter::default())
        .await
        .expect("all signals");
    let mut expected: BTreeMap<String, (i64, i64, i64, BTreeSet<i64>)> = BTreeMap::new();
    for s in all.iter().filter(|s| s.signal.status.is_active()) {
        let e = expected.entry(s.signal.school.to_string()).or_default();
        match s.signal.severity {
            Severity::High => e.0 += 1,
            Severity::Medium => e.1 += 1,
            Severity::Low => e.2 += 1,
        }
        e.3.insert(s.pupil_id);
    }
    let counted: BTreeMap<String, (i64, i64, i64, i64)> = store
        .active_signal_counts()
        .await
        .expect("counts")
        .into_iter()
        .map(|c| (c.school.to_string(), (c.high, c.medium, c.low, c.pupils)))
        .collect();
    let expected: BTreeMap<String, (i64, i64, i64, i64)> = expected
        .into_iter()
        .map(|(k, (h, m, l, p))| (k, (h, m, l, p.len() as i64)))
        .collect();
    assert_eq!(counted, expected);
    assert_eq!(
        counted.get("11ZW"),
        Some(&(2, 1, 0, 2)),
        "resolved and dismissed signals are not counted"
    );
    assert_eq!(counted.get("22AB"), Some(&(0, 1, 0, 1)));
}

/// The gauges count outbox rows per state in the store; the pupil page reads one pupil's
/// tasks, at most a page of the newest.
pub async fn outbox_counts_and_pupil_task_pages_are_bounded(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let p1 = store
        .pupil_histories(&brin())
        .await
        .expect("histories")
        .into_iter()
        .find(|h| h.pupil.pupil.external_id == "p1")
        .expect("p1")
        .pupil
        .id;
    for i in 0..5 {
        store
            .upsert_task(&task(&format!("p1-{i}"), "p1"), Utc::now())
            .await
            .expect("task");
    }
    for i in 0..3 {
        store
            .upsert_task(&task(&format!("p2-{i}"), "p2"), Utc::now())
            .await
            .expect("task");
    }
    let now = Utc::now() + TimeDelta::seconds(1);
    let claimed = store.claim_outbox(now, 3, A).await.expect("claim");
    store.mark_sent(claimed[0].id, A, "R-1").await.expect("sent");
    store
        .mark_failed(claimed[1].id, A, "HTTP 422", None)
        .await
        .expect("parked");

    let all = store.outbox(&OutboxFilter::default()).await.expect("all rows");
    let mut expected = OutboxCounts::default();
    for row in &all {
        *expected.get_mut(row.status) += 1;
    }
    let counts = store.outbox_counts().await.expect("counts");
    assert_eq!(counts, expected);
    assert_eq!(
        counts,
        OutboxCounts {
            pending: 5,
            in_flight: 1,
            sent: 1,
            parked: 1,
        }
    );

    let mine = store
        .outbox(&OutboxFilter {
            pupil_id: Some(p1),
            ..OutboxFilter::default()
        })
        .await
        .expect("p1's tasks");
    assert_eq!(mine.len(), 5);
    assert!(mine.iter().all(|o| o.task.pupil_external_id == "p1"));
    let page = store
        .outbox(&OutboxFilter {
            school: Some(brin()),
            pupil_id: Some(p1),
            limit: Some(2),
            ..OutboxFilter::default()
        })
        .await
        .expect("a page");
    assert_eq!(
        page.iter().map(|o| o.id).collect::<Vec<_>>(),
        mine[3..].iter().map(|o| o.id).collect::<Vec<_>>(),
        "the newest two, oldest first"
    );
    let parked_page = store
        .outbox(&OutboxFilter {
            status: Some(OutboxStatus::Pending),
            limit: Some(1),
            ..OutboxFilter::default()
        })
        .await
        .expect("limit with a status");
    assert_eq!(parked_page.len(), 1);
    assert!(
        store
            .outbox(&OutboxFilter {
                pupil_id: Some(p1),
                school: Some(other_brin()),
                ..OutboxFilter::default()
            })
            .await
            .expect("other school")
            .is_empty()
    );
}
