//! The store tests, one binary: the store contract (every `Store` method, run on SQLite and on
//! PostgreSQL by the same test functions: `sqlite::…` and `postgres::…` below, the functions in
//! `contract/`), and the tests of what sits right on a real store on both engines: set-based page
//! writes (`pages`), the outbox worker (`outbox_worker`), the schedulers and runners
//! (`schedule`), and one schema from both migration folders (`schema`). PostgreSQL needs
//! `ZORGSIGNAAL_TEST_POSTGRES_URL` (an admin URL; each test creates and drops its own database).
//! A change to the store comes with its contract function here.

mod contract {
    //! The contract functions, one file per part of the `Store` API; each takes a [`Ctx`].
    //!
    //! [`Ctx`]: crate::harness::Ctx

    pub mod absences;
    pub mod history;
    pub mod import;
    pub mod lease;
    pub mod notes;
    pub mod report;
    pub mod roster;
    pub mod social_emotional;
    pub mod sync;
    pub mod users;
    pub mod work;
}
mod harness;
mod outbox_worker;
mod pages;
mod schedule;
mod schema;

use contract::absences::*;
use contract::history::*;
use contract::import::*;
use contract::lease::*;
use contract::notes::*;
use contract::report::*;
use contract::roster::*;
use contract::social_emotional::*;
use contract::sync::*;
use contract::users::*;
use contract::work::*;

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
    opp_procedure_dates_round_trip_and_a_recorded_date_is_a_change,
    an_opp_reminder_is_resolved_once_the_missing_date_is_recorded,
    a_late_evaluation_is_resolved_once_the_evaluation_is_recorded,
    failed_page_commits_nothing_and_keeps_the_cursor,
    tombstones_soft_delete_and_a_return_revives,
    same_sitting_from_two_sources_is_stored_once,
    import_attaches_to_the_pupil_with_the_same_national_id_and_marks_nobody_left,
    import_adds_an_unknown_school_and_pupil_and_updates_it_on_reimport,
    failed_import_commits_nothing,
    dyslexia_statements_reach_the_history_and_go_with_a_tombstone,
    absences_are_stored_corrected_tombstoned_and_go_with_the_pupil,
    notes_are_read_per_school_in_a_window_and_newest_first,
    csv_absences_attach_to_the_matched_pupil_and_an_absence_can_wait_for_its_pupil,
    social_emotional_measurements_are_stored_corrected_tombstoned_and_go_with_the_pupil,
    csv_social_emotional_attaches_to_the_matched_pupil_and_can_wait_for_its_pupil,
    uwlr_results_keep_the_confidence_interval_and_are_idempotent_per_key,
    uwlr_results_of_unknown_pupils_are_held_in_the_import_transaction,
    uwlr_keys_belong_to_one_school_and_are_revoked,
    quarantine_keeps_raw_records_and_counts,
    held_records_wait_for_their_pupil_and_are_applied_once_it_is_known,
    a_page_is_stored_only_when_applying_it_would_change_nothing,
    many_held_records_in_one_page_and_a_key_twice_keep_the_last_version,
    cursors_and_stream_health,
    histories_and_changed_pupils,
    pupil_changes_name_the_kinds_of_records_that_changed,
    profiles_and_results_read_alone_are_what_the_history_holds,
    signal_upsert_never_duplicates_and_appends_evidence,
    an_escalating_reminder_keeps_its_key_and_takes_the_new_rule,
    signal_lifecycle_is_enforced_and_audited,
    task_creates_exactly_one_outbox_row,
    task_times_follow_the_given_clock,
    directie_escalations_get_no_outbox_row,
    outbox_claims_are_exclusive,
    outbox_failures_retry_park_and_lease_expiry,
    jobs_are_deduplicated_per_slot_across_processes,
    job_leases_are_renewed_by_their_holder_and_counted_per_holder,
    concurrent_job_claims_never_share_a_run,
    audit_and_mail_log,
    mail_items_per_ib_and_school,
    retention_deletes_everything_of_a_pupil_and_logs_it,
    retention_covers_pupils_without_a_leaving_date,
    operational_records_are_pruned_on_their_terms,
    quarantine_goes_when_the_record_arrives_and_at_the_end_of_its_term,
    group_notes_and_plans_expire_with_their_school_year,
    users_sessions_tokens_and_login_attempts,
    dashboard_visits_per_user_and_school,
    group_signals_upsert_resolve_and_reopen,
    roster_gives_grades_and_evaluations_due_and_overdue,
    report_reads_ids_dates_and_codes_of_live_rows,
    start_up_leaves_a_live_peers_outbox_leases_alone,
    start_up_releases_a_dead_holders_leases_at_once,
    expired_outbox_lease_is_taken_over_and_the_former_holder_refused,
    outbox_leases_last_the_given_length,
    a_school_lock_is_held_by_one_daemon_at_a_time,
    job_runs_are_finished_only_by_their_lease_holder,
    board_counts_equal_the_full_signal_load,
    outbox_counts_and_pupil_task_pages_are_bounded,
}
