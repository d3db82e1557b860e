//! Contract tests for the working side of the store: signals, tasks and outbox, jobs, audit and
//! mail log, retention.

use std::collections::HashSet;

use chrono::{TimeDelta, Utc};
use zorgsignaal::domain::{Severity, SignalStatus, Source, Task, TaskKind};
use zorgsignaal::store::{
    self, MailRecord, OutboxFilter, OutboxStatus, PageBatch, SignalFilter, SignalUpsert, StoreError,
};

use crate::harness::*;

async fn pupil_id(ctx: &Ctx, external_id: &str) -> i64 {
    ctx.store
        .pupil_histories(&brin())
        .await
        .expect("histories")
        .into_iter()
        .find(|h| h.pupil.pupil.external_id == external_id)
        .expect("pupil enrolled")
        .pupil
        .id
}

pub async fn signal_upsert_never_duplicates_and_appends_evidence(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let p1 = pupil_id(&ctx, "p1").await;
    let s = signal(
        "dmt_three_lowest|p1|word_reading|2024-2026",
        "p1",
        &["1", "2", "3"],
    );

    let created = store.upsert_signal(&s, p1).await.expect("create");
    let SignalUpsert::Created(id) = created else {
        panic!("expected Created, got {created:?}")
    };
    assert_eq!(
        store.upsert_signal(&s, p1).await.expect("again"),
        SignalUpsert::Unchanged(id)
    );
    // The same finding in today's words: the text is kept current, quietly (no event, no news).
    let mut reworded = s.clone();
    reworded.explanation = "Staat sinds 01-02-2026 open (3 weken).".into();
    reworded.rule_version += 1;
    assert_eq!(
        store.upsert_signal(&reworded, p1).await.expect("reworded"),
        SignalUpsert::Unchanged(id)
    );
    let row = store.signal(id).await.expect("reworded signal");
    assert_eq!(row.signal.explanation, reworded.explanation);
    assert_eq!(row.signal.rule_version, reworded.rule_version);
    assert_eq!(row.updated_at, row.created_at, "no change stamp");
    assert_eq!(
        store.signal_events(id).await.expect("events").len(),
        1,
        "no event"
    );

    store
        .set_signal_status(id, SignalStatus::Acknowledged, None, None, "ib@school.nl")
        .await
        .expect("acknowledge");
    let newer = signal(&s.key, "p1", &["1", "2", "3", "4"]);
    assert_eq!(
        store.upsert_signal(&newer, p1).await.expect("newer"),
        SignalUpsert::EvidenceAppended(id)
    );
    let row = store.signal(id).await.expect("signal");
    assert_eq!(
        row.signal.status,
        SignalStatus::Acknowledged,
        "re-evaluation never changes the status"
    );
    assert_eq!(row.signal.evidence.len(), 4);
    assert_eq!(row.signal.pupil_external_id, "p1");
    assert_eq!(row.signal.evidence, newer.evidence, "evidence round-trips");
    let kinds: Vec<_> = store
        .signal_events(id)
        .await
        .expect("events")
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["created", "status", "evidence"]);

    let all = store.signals(&SignalFilter::default()).await.expect("all");
    assert_eq!(all.len(), 1, "no duplicate");

    let err = store
        .upsert_signal(&signal("other", "p2", &["9"]), 999_999)
        .await
        .expect_err("unknown pupil");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");

    let p2 = pupil_id(&ctx, "p2").await;
    let mut s2 = signal("level_drop|p2", "p2", &["7"]);
    s2.rule = "level_drop".into();
    store.upsert_signal(&s2, p2).await.expect("second signal");
    let by = |f: SignalFilter| async move { store.signals(&f).await.expect("filter").len() };
    assert_eq!(
        by(SignalFilter {
            pupil_id: Some(p2),
            ..SignalFilter::default()
        })
        .await,
        1
    );
    assert_eq!(
        by(SignalFilter {
            rule: Some("level_drop".into()),
            ..SignalFilter::default()
        })
        .await,
        1
    );
    assert_eq!(
        by(SignalFilter {
            status: Some(SignalStatus::Open),
            ..SignalFilter::default()
        })
        .await,
        1
    );
    assert_eq!(
        by(SignalFilter {
            school: Some(brin()),
            ..SignalFilter::default()
        })
        .await,
        2
    );
    assert_eq!(
        by(SignalFilter {
            school: Some(other_brin()),
            ..SignalFilter::default()
        })
        .await,
        0
    );
    // By severity: `s2` is high like the first; made medium, it is the only medium one.
    s2.severity = Severity::Medium;
    store.upsert_signal(&s2, p2).await.expect("severity changed");
    let of = |severity| SignalFilter {
        school: Some(brin()),
        severity: Some(severity),
        ..SignalFilter::default()
    };
    let medium = store.signals(&of(Severity::Medium)).await.expect("medium");
    assert_eq!(medium.len(), 1);
    assert_eq!(medium[0].signal.key, s2.key);
    assert_eq!(store.signals(&of(Severity::High)).await.expect("high").len(), 1);
    assert_eq!(store.signals(&of(Severity::Low)).await.expect("low").len(), 0);
}

pub async fn signal_lifecycle_is_enforced_and_audited(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let p1 = pupil_id(&ctx, "p1").await;
    let id = store
        .upsert_signal(&signal("k1", "p1", &["1"]), p1)
        .await
        .expect("create")
        .id();

    let err = store
        .set_signal_status(id, SignalStatus::Dismissed, None, None, "ib")
        .await
        .expect_err("dismiss needs a reason");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
    let row = store
        .set_signal_status(
            id,
            SignalStatus::Dismissed,
            Some("al bekend bij ouders"),
            None,
            "ib",
        )
        .await
        .expect("dismiss");
    assert_eq!(row.signal.status, SignalStatus::Dismissed);
    assert_eq!(
        row.signal.dismissed_reason.as_deref(),
        Some("al bekend bij ouders")
    );
    let err = store
        .set_signal_status(id, SignalStatus::Open, None, None, "ib")
        .await
        .expect_err("dismissed cannot reopen");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    let err = store
        .set_signal_status(999_999, SignalStatus::Resolved, None, None, "ib")
        .await
        .expect_err("none");
    assert!(matches!(err, StoreError::NotFound), "{err:?}");

    let id2 = store
        .upsert_signal(&signal("k2", "p1", &["2"]), p1)
        .await
        .expect("create")
        .id();
    let snoozed = store
        .snooze_signal(id2, Some(date(2026, 3, 1)), "ib")
        .await
        .expect("snooze");
    assert_eq!(snoozed.signal.snoozed_until, Some(date(2026, 3, 1)));
    let row = store
        .set_signal_status(
            id2,
            SignalStatus::Acknowledged,
            None,
            Some(date(2026, 4, 1)),
            "ib",
        )
        .await
        .expect("acknowledge");
    assert_eq!(row.signal.snoozed_until, Some(date(2026, 4, 1)));
    let row = store
        .set_signal_status(id2, SignalStatus::Resolved, None, None, "ib")
        .await
        .expect("resolve");
    assert_eq!(row.signal.status, SignalStatus::Resolved);
    let events = store.signal_events(id2).await.expect("events");
    let last = events.last().expect("event");
    assert_eq!(
        (last.from_status, last.to_status),
        (Some(SignalStatus::Acknowledged), Some(SignalStatus::Resolved))
    );
    assert_eq!(last.actor.as_deref(), Some("ib"));

    let audit = store.audit_entries(10).await.expect("audit");
    let actions: Vec<_> = audit.iter().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "signal.resolved",
            "signal.acknowledged",
            "signal.snooze",
            "signal.dismissed"
        ]
    );
    assert_eq!(audit[0].subject, format!("signal:{id2}"));
    assert_eq!(audit[0].school, Some(brin()));
}

pub async fn task_creates_exactly_one_outbox_row(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    assert!(
        store
            .upsert_task(&task("t1", "p1"), Utc::now())
            .await
            .expect("new task")
    );
    assert!(
        !store
            .upsert_task(&task("t1", "p1"), Utc::now())
            .await
            .expect("same key")
    );
    let rows = store.outbox(&OutboxFilter::default()).await.expect("outbox");
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].status, OutboxStatus::Pending);
    assert_eq!(rows[0].task, task("t1", "p1"));
    let err = store
        .upsert_task(&task("t2", "nobody"), Utc::now())
        .await
        .expect_err("unknown pupil");
    assert!(matches!(err, StoreError::InvalidData(_)), "{err:?}");
    assert_eq!(
        store
            .outbox(&OutboxFilter::default())
            .await
            .expect("outbox")
            .len(),
        1,
        "nothing half-written"
    );
}

/// The task's time is the program's clock, not the server's: a replayed year (`simulate`, its
/// clock in 2025) must be able to push what it creates, and its escalations are dated on the
/// simulated day (they were stamped with the real clock, so never due and always "new").
pub async fn task_times_follow_the_given_clock(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let at = chrono::DateTime::parse_from_rfc3339("2025-10-07T06:30:00Z")
        .expect("time")
        .to_utc();
    let escalation = Task {
        kind: TaskKind::DirectieEscalation,
        ..task("t1/directie", "p1")
    };
    assert!(store.upsert_task(&task("t1", "p1"), at).await.expect("task"));
    assert!(store.upsert_task(&escalation, at).await.expect("escalation"));
    let before = at - TimeDelta::seconds(1);
    assert!(
        store
            .claim_outbox(before, 10, "w1")
            .await
            .expect("claim")
            .is_empty(),
        "not due before it was created"
    );
    let claimed = store.claim_outbox(at, 10, "w1").await.expect("claim");
    assert_eq!(
        claimed.len(),
        1,
        "due on the given clock, years before the server's now"
    );
    let listed = store
        .directie_escalations(&brin(), before)
        .await
        .expect("escalations");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].created_at, at);
    assert!(
        store
            .directie_escalations(&brin(), at + TimeDelta::seconds(1))
            .await
            .expect("escalations")
            .is_empty(),
        "raised at the given time, not at the server's now"
    );
}

/// Issue 16 item 12: a directie escalation is stored as a task but never pushed into the pupil's
/// file (parents may read it there): no outbox row; the directie mail and the dashboard list it.
pub async fn directie_escalations_get_no_outbox_row(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let escalation = Task {
        kind: TaskKind::DirectieEscalation,
        title: "Evaluatie handelingsplan meer dan 14 dagen te laat".into(),
        ..task("t1/directie", "p1")
    };
    let before = chrono::Utc::now() - chrono::TimeDelta::minutes(1);
    assert!(
        store
            .upsert_task(&task("t1", "p1"), Utc::now())
            .await
            .expect("ib task")
    );
    assert!(
        store
            .upsert_task(&escalation, Utc::now())
            .await
            .expect("escalation")
    );
    assert!(
        !store
            .upsert_task(&escalation, Utc::now())
            .await
            .expect("same key")
    );
    let rows = store.outbox(&OutboxFilter::default()).await.expect("outbox");
    assert_eq!(rows.len(), 1, "only the IB task is pushed");
    assert_eq!(rows[0].task.kind, TaskKind::IbTask);
    let listed = store
        .directie_escalations(&brin(), before)
        .await
        .expect("escalations");
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].key, "t1/directie");
    assert_eq!(listed[0].title, escalation.title);
    let later = chrono::Utc::now() + chrono::TimeDelta::minutes(1);
    assert!(
        store
            .directie_escalations(&brin(), later)
            .await
            .expect("escalations")
            .is_empty(),
        "only those raised since the given time"
    );
    // The evaluation's "already stored" check: every task's key, pushed or not, of this school.
    assert_eq!(
        store.task_keys(&brin()).await.expect("task keys"),
        ["t1", "t1/directie"]
    );
    assert!(
        store
            .task_keys(&other_brin())
            .await
            .expect("task keys")
            .is_empty(),
        "another school's keys are its own"
    );
}

pub async fn outbox_claims_are_exclusive(ctx: Ctx) {
    let store = ctx.store.clone();
    enrol(store.as_ref(), &["p1"]).await;
    for i in 0..20 {
        store
            .upsert_task(&task(&format!("t{i}"), "p1"), Utc::now())
            .await
            .expect("task");
    }
    let other = store::open(&ctx.url).await.expect("second process");
    let now = chrono::Utc::now() + TimeDelta::seconds(1);
    let claim = |s: std::sync::Arc<dyn store::Store>, holder: &'static str| async move {
        let mut mine = Vec::new();
        loop {
            let got = s.claim_outbox(now, 3, holder).await.expect("claim");
            if got.is_empty() {
                return mine;
            }
            mine.extend(got.into_iter().map(|i| i.id));
        }
    };
    let (a, b) = tokio::join!(
        tokio::spawn(claim(store.clone(), "daemon-a")),
        tokio::spawn(claim(other.clone(), "daemon-b"))
    );
    let (a, b) = (a.expect("worker a"), b.expect("worker b"));
    let sa: HashSet<i64> = a.iter().copied().collect();
    let sb: HashSet<i64> = b.iter().copied().collect();
    assert!(sa.is_disjoint(&sb), "a row was claimed twice");
    assert_eq!(a.len() + b.len(), 20);
    assert_eq!(sa.len() + sb.len(), 20);
    let in_flight = store
        .outbox(&OutboxFilter {
            status: Some(OutboxStatus::InFlight),
            ..OutboxFilter::default()
        })
        .await
        .expect("in flight");
    assert_eq!(in_flight.len(), 20);
    assert!(in_flight.iter().all(|i| i.attempts == 1));
    other.close().await;
}

pub async fn outbox_failures_retry_park_and_lease_expiry(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    for key in ["a", "b", "c"] {
        store
            .upsert_task(&task(key, "p1"), Utc::now())
            .await
            .expect("task");
    }
    let now = chrono::Utc::now() + TimeDelta::seconds(1);
    let claimed = store.claim_outbox(now, 10, "w1").await.expect("claim");
    assert_eq!(claimed.len(), 3);
    assert!(
        store
            .claim_outbox(now, 10, "w1")
            .await
            .expect("nothing left")
            .is_empty()
    );
    let (a, b, c) = (claimed[0].id, claimed[1].id, claimed[2].id);

    store.mark_sent(a, "w1", "PS-TASK-1").await.expect("sent");
    let err = store.mark_sent(a, "w1", "again").await.expect_err("already sent");
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert!(matches!(
        store.mark_sent(999_999, "w1", "x").await,
        Err(StoreError::NotFound)
    ));

    let later = now + TimeDelta::minutes(10);
    store
        .mark_failed(b, "w1", "HTTP 503", Some(later))
        .await
        .expect("retry later");
    store
        .mark_failed(c, "w1", "HTTP 422: invalid pupil", None)
        .await
        .expect("park");
    assert!(
        store
            .claim_outbox(now, 10, "w1")
            .await
            .expect("not yet")
            .is_empty()
    );
    let retried = store.claim_outbox(later, 10, "w1").await.expect("due again");
    assert_eq!(
        retried.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(),
        [(b, 2)]
    );
    assert_eq!(retried[0].last_error.as_deref(), Some("HTTP 503"));

    // A worker that dies keeps its lease only until it runs out.
    let after_lease = later + TimeDelta::seconds(store::OUTBOX_LEASE_SECS + 1);
    let taken_over = store
        .claim_outbox(after_lease, 10, "w2")
        .await
        .expect("lease expired");
    assert_eq!(
        taken_over.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(),
        [(b, 3)]
    );
    // A daemon starting after a crash takes the dead one's rows back once their lease ran out,
    // attempts kept; a live lease stays.
    assert_eq!(
        store
            .release_outbox_leases(after_lease, &|_| false)
            .await
            .expect("release"),
        0,
        "w2's lease is live"
    );
    let w2_gone = after_lease + TimeDelta::seconds(store::OUTBOX_LEASE_SECS + 1);
    assert_eq!(
        store
            .release_outbox_leases(w2_gone, &|_| false)
            .await
            .expect("release"),
        1
    );
    assert_eq!(
        store
            .release_outbox_leases(w2_gone, &|_| false)
            .await
            .expect("nothing in flight"),
        0
    );
    let released = store
        .claim_outbox(w2_gone, 10, "w3")
        .await
        .expect("claim released");
    assert_eq!(
        released.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(),
        [(b, 4)]
    );

    let parked = store
        .outbox(&OutboxFilter {
            status: Some(OutboxStatus::Parked),
            ..OutboxFilter::default()
        })
        .await
        .expect("parked");
    assert_eq!(parked.iter().map(|i| i.id).collect::<Vec<_>>(), [c]);
    assert!(matches!(
        store.retry_outbox(a).await,
        Err(StoreError::Conflict(_))
    ));
    store.retry_outbox(c).await.expect("retry parked");
    let again = store
        .claim_outbox(chrono::Utc::now() + TimeDelta::seconds(1), 10, "w1")
        .await
        .expect("claim c");
    assert_eq!(
        again.iter().map(|i| (i.id, i.attempts)).collect::<Vec<_>>(),
        [(c, 1)]
    );
    let sent = store
        .outbox(&OutboxFilter {
            status: Some(OutboxStatus::Sent),
            school: Some(brin()),
            ..OutboxFilter::default()
        })
        .await
        .expect("sent");
    assert_eq!(sent[0].remote_id.as_deref(), Some("PS-TASK-1"));
    assert!(
        store
            .outbox(&OutboxFilter {
                school: Some(other_brin()),
                ..OutboxFilter::default()
            })
            .await
            .expect("other school")
            .is_empty()
    );
}

pub async fn jobs_are_deduplicated_per_slot_across_processes(ctx: Ctx) {
    let store = ctx.store.clone();
    let slot = at(2026, 2, 2, 6);
    let other = store::open(&ctx.url).await.expect("second process");
    let (a, b) = tokio::join!(
        store.enqueue_job("digest", slot),
        other.enqueue_job("digest", slot)
    );
    let (a, b) = (a.expect("enqueue a"), b.expect("enqueue b"));
    assert!(a ^ b, "exactly one process enqueues a slot (got {a}, {b})");
    assert!(!store.enqueue_job("digest", slot).await.expect("again"));
    assert!(
        store
            .enqueue_job("sync", slot)
            .await
            .expect("other job, same slot")
    );
    assert!(
        store
            .enqueue_job("digest", slot + TimeDelta::days(1))
            .await
            .expect("next slot")
    );

    assert!(
        store
            .claim_job(slot - TimeDelta::hours(1), "w1")
            .await
            .expect("too early")
            .is_none()
    );
    let first = store.claim_job(slot, "w1").await.expect("claim").expect("a job");
    let second = other
        .claim_job(slot, "w2")
        .await
        .expect("claim")
        .expect("another job");
    assert_ne!(first.id, second.id);
    assert!(
        store.claim_job(slot, "w1").await.expect("claim").is_none(),
        "tomorrow's slot is not due"
    );
    store.finish_job(first.id, "w1", Ok(())).await.expect("finish");
    store
        .finish_job(second.id, "w2", Err("SMTP refused"))
        .await
        .expect("finish failed");
    assert!(matches!(
        store.finish_job(first.id, "w1", Ok(())).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store.finish_job(999_999, "w1", Ok(())).await,
        Err(StoreError::NotFound)
    ));

    let tomorrow = slot + TimeDelta::days(1);
    let run = store
        .claim_job(tomorrow, "w1")
        .await
        .expect("claim")
        .expect("tomorrow");
    let stale = tomorrow + TimeDelta::seconds(store::JOB_LEASE_SECS + 1);
    let retaken = other
        .claim_job(stale, "w2")
        .await
        .expect("claim")
        .expect("lease expired");
    assert_eq!((retaken.id, retaken.attempts), (run.id, 2));
    other.close().await;
}

pub async fn audit_and_mail_log(ctx: Ctx) {
    let store = ctx.store.as_ref();
    store
        .audit("admin", "outbox.retry", None, "outbox:3")
        .await
        .expect("audit");
    store
        .audit("ib", "signal.view", Some(&brin()), "signal:1")
        .await
        .expect("audit");
    let entries = store.audit_entries(1).await.expect("entries");
    assert_eq!(entries.len(), 1);
    assert_eq!(
        (entries[0].actor.as_str(), entries[0].school.clone()),
        ("ib", Some(brin()))
    );

    let mail = |h| MailRecord {
        to: "ib@regenboog.nl".into(),
        kind: "urgent".into(),
        school: Some(brin()),
        subject_hash: "ab12".into(),
        sent_at: at(2026, 2, 2, h),
    };
    store.record_mail(&mail(7)).await.expect("mail");
    store.record_mail(&mail(9)).await.expect("mail");
    assert_eq!(
        store
            .mails_sent_since("ib@regenboog.nl", at(2026, 2, 2, 8))
            .await
            .expect("count"),
        1
    );
    assert_eq!(
        store
            .mails_sent_since("ib@regenboog.nl", at(2026, 2, 2, 7))
            .await
            .expect("count"),
        2
    );
    assert_eq!(
        store
            .mails_sent_since("dir@regenboog.nl", at(2026, 2, 1, 0))
            .await
            .expect("count"),
        0
    );
    // The same mail (kind and subject hash) since a time: what a retried board report skips.
    let sent = |to: &'static str, kind: &'static str, hash: &'static str, h| async move {
        store
            .mail_already_sent(to, kind, hash, at(2026, 2, 2, h))
            .await
            .expect("sent?")
    };
    assert!(sent("ib@regenboog.nl", "urgent", "ab12", 9).await);
    assert!(
        !sent("ib@regenboog.nl", "urgent", "ab12", 10).await,
        "not since then"
    );
    assert!(
        !sent("ib@regenboog.nl", "urgent", "cd34", 0).await,
        "another subject"
    );
    assert!(
        !sent("ib@regenboog.nl", "digest", "ab12", 0).await,
        "another kind"
    );
    assert!(
        !sent("dir@regenboog.nl", "urgent", "ab12", 0).await,
        "another address"
    );
}

pub async fn mail_items_per_ib_and_school(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let p1 = pupil_id(&ctx, "p1").await;
    let id = store
        .upsert_signal(&signal("k1", "p1", &["1"]), p1)
        .await
        .expect("signal")
        .id();
    let mail = |kind: &str, h| MailRecord {
        to: "ib@regenboog.nl".into(),
        kind: kind.into(),
        school: Some(brin()),
        subject_hash: "ab12".into(),
        sent_at: at(2026, 2, 2, h),
    };
    assert_eq!(
        store
            .last_school_mail("ib@regenboog.nl", &brin(), None)
            .await
            .expect("last"),
        None
    );
    store
        .record_mail_items(&mail("start_overview", 7), &[(id, "medium".into())])
        .await
        .expect("overview");
    store
        .record_mail_items(&mail("digest", 9), &[(id, "high".into())])
        .await
        .expect("digest");
    assert_eq!(
        store
            .last_school_mail("ib@regenboog.nl", &brin(), None)
            .await
            .expect("last"),
        Some(at(2026, 2, 2, 9))
    );
    assert_eq!(
        store
            .last_school_mail("ib@regenboog.nl", &brin(), Some("start_overview"))
            .await
            .expect("last"),
        Some(at(2026, 2, 2, 7))
    );
    // Another school of the same IB has its own last mail.
    assert_eq!(
        store
            .last_school_mail("ib@regenboog.nl", &other_brin(), None)
            .await
            .expect("last"),
        None
    );
    let items = store
        .mailed_items("ib@regenboog.nl", &brin())
        .await
        .expect("items");
    assert_eq!(items.len(), 1);
    // Named with another fingerprint (its severity rose): news, so its reminders start again.
    assert_eq!(
        (
            items[0].signal_id,
            items[0].fingerprint.as_str(),
            items[0].first_mailed_at,
            items[0].last_mailed_at
        ),
        (id, "high", at(2026, 2, 2, 9), at(2026, 2, 2, 9))
    );
    store
        .record_mail_items(&mail("digest", 11), &[(id, "high".into())])
        .await
        .expect("reminder");
    let items = store
        .mailed_items("ib@regenboog.nl", &brin())
        .await
        .expect("items");
    assert_eq!(
        (items[0].first_mailed_at, items[0].last_mailed_at),
        (at(2026, 2, 2, 9), at(2026, 2, 2, 11)),
        "an unchanged item keeps its first mail"
    );
    assert!(
        store
            .mailed_items("ib@regenboog.nl", &other_brin())
            .await
            .expect("items")
            .is_empty()
    );
    let names = store.group_names(&brin()).await.expect("groups");
    assert_eq!(names, vec![("g1".to_owned(), "Groep g1".to_owned())]);
}

pub async fn retention_deletes_everything_of_a_pupil_and_logs_it(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1", "p2"]).await;
    let mut page = PageBatch::new(Source::Parnassys, brin(), "results");
    page.results = vec![
        result(Source::Parnassys, "r1", "p1", date(2025, 1, 20), "V"),
        result(Source::Parnassys, "r2", "p2", date(2025, 1, 20), "V"),
    ];
    store.apply_page(&page).await.expect("results");
    let p1 = pupil_id(&ctx, "p1").await;
    let sid = store
        .upsert_signal(&signal("k1", "p1", &["1"]), p1)
        .await
        .expect("signal")
        .id();
    store
        .upsert_task(&task("t1", "p1"), Utc::now())
        .await
        .expect("task");

    let hasher = zorgsignaal::domain::ExternalIdHasher::new("board key".to_string().into());
    // p1 leaves in October 2025 (missing from the snapshot).
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[pupil("p2")],
            &[group("g1")],
            &[membership("p2", "g1")],
            at(2025, 10, 1, 3),
        )
        .await
        .expect("snapshot");
    assert_eq!(
        store
            .delete_pupils_left_before(date(2025, 10, 1), &hasher)
            .await
            .expect("nothing yet"),
        0
    );
    // p2 is still delivered by the snapshot on the day of the run.
    store
        .apply_snapshot(
            &brin(),
            year(),
            &[pupil("p2")],
            &[group("g1")],
            &[membership("p2", "g1")],
            at(2027, 10, 2, 3),
        )
        .await
        .expect("snapshot");
    assert_eq!(
        store
            .delete_pupils_left_before(date(2027, 10, 2), &hasher)
            .await
            .expect("delete"),
        1
    );

    let left: Vec<_> = store.pupil_histories(&brin()).await.expect("histories");
    assert_eq!(
        left.iter()
            .map(|h| h.pupil.pupil.external_id.as_str())
            .collect::<Vec<_>>(),
        ["p2"]
    );
    assert_eq!(left[0].results.len(), 1, "other pupils keep their data");
    assert!(matches!(store.signal(sid).await, Err(StoreError::NotFound)));
    assert!(
        store
            .signals(&SignalFilter::default())
            .await
            .expect("signals")
            .is_empty()
    );
    assert!(
        store
            .outbox(&OutboxFilter::default())
            .await
            .expect("outbox")
            .is_empty()
    );

    let log = store.deletion_log().await.expect("log");
    assert_eq!(log.len(), 1);
    assert_eq!(
        (log[0].school.clone(), log[0].left_on),
        (brin(), date(2025, 10, 1))
    );
    assert_eq!(log[0].pupil_hash.len(), 64);
    assert!(!log[0].pupil_hash.contains("p1"));
    // Keyed with the board key: the HMAC of `pupil:source|school|id`, not a plain SHA-256 anyone
    // can recompute for every id.
    assert_eq!(
        log[0].pupil_hash,
        store::pupil_hash(&hasher, "parnassys_gkv", brin().as_str(), "p1")
    );
    assert_eq!(
        log[0].pupil_hash,
        hasher.hash("pupil", &format!("parnassys_gkv|{}|p1", brin().as_str()))
    );
    let plain = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            format!("parnassys_gkv|{}|p1", brin().as_str()).as_bytes(),
        ))
    };
    assert_ne!(log[0].pupil_hash, plain);
    let other_key = zorgsignaal::domain::ExternalIdHasher::new("another key".to_string().into());
    assert_ne!(
        log[0].pupil_hash,
        store::pupil_hash(&other_key, "parnassys_gkv", brin().as_str(), "p1")
    );
    assert_eq!(
        store
            .delete_pupils_left_before(date(2027, 10, 2), &hasher)
            .await
            .expect("again"),
        0
    );
}

pub async fn retention_covers_pupils_without_a_leaving_date(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let hasher = zorgsignaal::domain::ExternalIdHasher::new("board key".to_string().into());
    // A GKV school whose link stopped after the snapshot of 1 September 2025: nobody ever gets a
    // leaving date, and the last day the pupils were delivered counts instead.
    enrol(store, &["p1", "p2"]).await;
    assert_eq!(
        store
            .delete_pupils_left_before(date(2025, 9, 1), &hasher)
            .await
            .expect("not yet"),
        0
    );
    assert_eq!(
        store
            .delete_pupils_left_before(date(2025, 9, 2), &hasher)
            .await
            .expect("delete"),
        2
    );
    let log = store.deletion_log().await.expect("log");
    assert_eq!(
        log.iter().map(|r| r.left_on).collect::<Vec<_>>(),
        [date(2025, 9, 1), date(2025, 9, 1)],
        "the last day seen stands in for the leaving date"
    );

    // A pupil from a CSV/OSO import is seen on the day of the import (today).
    let other = other_brin();
    let mut batch = store::ImportBatch::new(
        Source::Csv,
        zorgsignaal::domain::School {
            brin: other.clone(),
            name: "OBS Import".into(),
            care_ladder: "abcd".into(),
        },
    );
    let mut p = pupil("1001");
    p.school = other.clone();
    p.source = Source::Csv;
    batch.pupils = vec![p];
    store.apply_import(&batch).await.expect("import");
    let today = chrono::Utc::now().date_naive();
    assert_eq!(
        store
            .delete_pupils_left_before(today, &hasher)
            .await
            .expect("kept"),
        0,
        "imported today"
    );
    assert_eq!(
        store
            .delete_pupils_left_before(today + TimeDelta::days(1), &hasher)
            .await
            .expect("delete"),
        1,
        "an imported pupil is covered by the retention rule too"
    );
    assert!(store.pupil_histories(&other).await.expect("h").is_empty());
}

pub async fn operational_records_are_pruned_on_their_terms(ctx: Ctx) {
    let store = ctx.store.as_ref();
    let now = chrono::Utc::now();
    store
        .audit("ib", "pupil.view", Some(&brin()), "pupil:1")
        .await
        .expect("audit");
    let slot = at(2025, 1, 1, 3);
    store.enqueue_job("sync", slot).await.expect("job");
    let run = store.claim_job(slot, "w1").await.expect("claim").expect("run");
    store.finish_job(run.id, "w1", Ok(())).await.expect("finish");
    store
        .enqueue_job("sync", at(2025, 1, 1, 4))
        .await
        .expect("queued job");
    store
        .record_mail(&MailRecord {
            sent_at: now - TimeDelta::days(1),
            to: "ib@school.nl".into(),
            kind: "digest".into(),
            school: Some(brin()),
            subject_hash: "h".into(),
        })
        .await
        .expect("mail");
    // Two start overviews to one IB about one school, and an older one about another school.
    for (days, school) in [(3, brin()), (2, brin()), (4, other_brin())] {
        store
            .record_mail(&MailRecord {
                sent_at: now - TimeDelta::days(days),
                to: "ib@school.nl".into(),
                kind: "start_overview".into(),
                school: Some(school),
                subject_hash: "s".into(),
            })
            .await
            .expect("start overview");
    }
    // A result held for a pupil no snapshot ever lists (wachtend op leerling).
    let mut held = PageBatch::new(Source::Parnassys, brin(), "results");
    held.held = vec![store::HeldRecord::Result(result(
        Source::Parnassys,
        "r9",
        "p9",
        date(2026, 1, 20),
        "V",
    ))];
    store.apply_page(&held).await.expect("held record");

    // Nothing is old enough yet but the older start overview of 11ZW: pruning keeps the latest
    // start overview per IB and school, whatever its age.
    let past = now - TimeDelta::days(2);
    let kept = store
        .prune_operational(&store::PruneCutoffs {
            quarantine_before: past,
            held_before: past,
            audit_before: past,
            jobs_before: past,
        })
        .await
        .expect("prune");
    assert_eq!(
        kept,
        store::PruneCounts {
            mail_log: 1,
            ..store::PruneCounts::default()
        }
    );
    assert_eq!(store.held_counts().await.expect("held").len(), 1);
    let later = now + TimeDelta::seconds(5);
    let gone = store
        .prune_operational(&store::PruneCutoffs {
            quarantine_before: past,
            held_before: later,
            audit_before: later,
            jobs_before: later,
        })
        .await
        .expect("prune");
    // The digest goes; the latest start overview per IB and school stays, or the IB would get a
    // new start overview after every pruning (issue 17).
    assert_eq!(
        (gone.held, gone.audit, gone.jobs, gone.mail_log),
        (1, 1, 1, 1),
        "{gone:?}"
    );
    assert!(
        store.held_counts().await.expect("held").is_empty(),
        "a held record whose pupil never came goes after its term"
    );
    for school in [brin(), other_brin()] {
        assert!(
            store
                .last_school_mail("ib@school.nl", &school, Some("start_overview"))
                .await
                .expect("last")
                .is_some(),
            "start overview of {school} kept"
        );
    }
    assert!(store.audit_entries(10).await.expect("audit").is_empty());
    assert_eq!(
        store
            .mails_sent_since("ib@school.nl", now - TimeDelta::days(30))
            .await
            .expect("mails"),
        2,
        "only the two start overviews"
    );
    // A queued (unfinished) job run is never pruned: it still has to run.
    let queued = store
        .claim_job(at(2025, 1, 1, 5), "w1")
        .await
        .expect("claim")
        .expect("the queued run is still there");
    assert_eq!(queued.scheduled_at, at(2025, 1, 1, 4));
}

/// A reminder that escalates keeps its key: evidence unchanged, but the rule and severity move
/// on ("evaluatie binnenkort" becomes "evaluatie te laat"; issue 17).
pub async fn an_escalating_reminder_keeps_its_key_and_takes_the_new_rule(ctx: Ctx) {
    let store = ctx.store.as_ref();
    enrol(store, &["p1"]).await;
    let p1 = pupil_id(&ctx, "p1").await;
    let mut due = signal("plan_evaluation_due/p1/spelling/plan3-2026-02-23", "p1", &["1"]);
    due.rule = "plan_evaluation_due".into();
    due.severity = zorgsignaal::domain::Severity::Low;
    let SignalUpsert::Created(due_id) = store.upsert_signal(&due, p1).await.expect("due") else {
        panic!("due reminder created")
    };
    let mut late = due.clone();
    late.rule = "plan_evaluation_overdue".into();
    late.severity = zorgsignaal::domain::Severity::Medium;
    late.explanation = "te laat".into();
    assert_eq!(
        store.upsert_signal(&late, p1).await.expect("late"),
        SignalUpsert::EvidenceAppended(due_id)
    );
    let row = store.signal(due_id).await.expect("escalated");
    assert_eq!(
        (
            row.signal.rule.as_str(),
            row.signal.severity,
            row.signal.explanation.as_str()
        ),
        (
            "plan_evaluation_overdue",
            zorgsignaal::domain::Severity::Medium,
            "te laat"
        )
    );
    assert_eq!(
        store.upsert_signal(&late, p1).await.expect("again"),
        SignalUpsert::Unchanged(due_id)
    );
}
