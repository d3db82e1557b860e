//! The store contract: every `Store` method, run on SQLite and on PostgreSQL by the same test
//! functions. PostgreSQL needs `ZORGSIGNAAL_TEST_POSTGRES_URL` (an admin URL; each test creates
//! and drops its own database).

#[path = "common/store_harness.rs"]
mod harness;
#[path = "common/store_contract_sync.rs"]
mod sync;
#[path = "common/store_contract_work.rs"]
mod work;

use sync::*;
use work::*;

/// Generates `sqlite::<name>` and `postgres::<name>` tests for each contract function.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(#[tokio::test]
            async fn $name() {
                super::harness::run(super::harness::Engine::Sqlite, super::$name).await;
            })*
        }
        mod postgres {
            $(#[tokio::test]
            async fn $name() {
                super::harness::run(super::harness::Engine::Postgres, super::$name).await;
            })*
        }
    };
}

contract! {
    migrate_twice_and_schools_are_idempotent,
    snapshot_reports_new_changed_left_and_returning,
    snapshot_rejects_unknown_groups_and_other_schools,
    page_upserts_are_idempotent,
    failed_page_commits_nothing_and_keeps_the_cursor,
    tombstones_soft_delete_and_a_return_revives,
    same_sitting_from_two_sources_is_stored_once,
    quarantine_keeps_raw_records_and_counts,
    cursors_and_stream_health,
    histories_and_changed_pupils,
    signal_upsert_never_duplicates_and_appends_evidence,
    signal_lifecycle_is_enforced_and_audited,
    task_creates_exactly_one_outbox_row,
    outbox_claims_are_exclusive,
    outbox_failures_retry_park_and_lease_expiry,
    jobs_are_deduplicated_per_slot_across_processes,
    audit_and_mail_log,
    retention_deletes_everything_of_a_pupil_and_logs_it,
}
