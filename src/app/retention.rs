//! The retention job (bewaartermijn, `schedule.retention`): applies every term of `[retention]`
//! in one run. docs/OPERATIONS.md §7 says what is deleted when and how an operator proves it.

use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};

use crate::actions::mail::Mailer;
use crate::settings::Settings;
use crate::store::{PruneCounts, PruneCutoffs, Store, StoreError};

/// What one retention run deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionOutcome {
    /// Pupils deleted with all their data (one deletion-log row each).
    pub pupils: usize,
    /// Group notes and group plans of school years past the term.
    pub group_records: u64,
    /// Quarantine, audit, job and mail-log rows.
    pub pruned: PruneCounts,
    /// `.eml` files of the file mail transport.
    pub mail_files: usize,
}

/// Why a retention run failed.
#[derive(Debug, thiserror::Error)]
pub enum RetentionError {
    /// A term does not fit a date computation.
    #[error("retention term {0} is too long")]
    Term(&'static str),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Deleting mail files failed.
    #[error("pruning mail files: {0}")]
    Files(#[from] std::io::Error),
}

fn term(name: &'static str, d: std::time::Duration) -> Result<TimeDelta, RetentionError> {
    TimeDelta::from_std(d).map_err(|_| RetentionError::Term(name))
}

/// The day before whose school year group notes and group plans are deleted as of `today`
/// (`pupil_data_after_leaving` back); the sync does not take such records in again.
pub fn group_records_before(settings: &Settings, today: NaiveDate) -> Option<NaiveDate> {
    let term = term(
        "pupil_data_after_leaving",
        settings.retention.pupil_data_after_leaving,
    )
    .ok()?;
    today.checked_sub_signed(term)
}

/// Runs every retention term as of `today` (Europe/Amsterdam) and `now`.
pub async fn run_retention(
    store: &dyn Store,
    settings: &Settings,
    mailer: Option<&Mailer>,
    today: NaiveDate,
    now: DateTime<Utc>,
) -> Result<RetentionOutcome, RetentionError> {
    let r = &settings.retention;
    let pupils_before = today - term("pupil_data_after_leaving", r.pupil_data_after_leaving)?;
    let pupils = store
        .delete_pupils_left_before(pupils_before, &settings.id_hasher())
        .await?;
    let group_records = store.delete_group_records_before(pupils_before).await?;
    let pruned = store
        .prune_operational(&PruneCutoffs {
            quarantine_before: now - term("quarantine_after", r.quarantine_after)?,
            held_before: now - term("held_records_after", r.held_records_after)?,
            audit_before: now - term("audit_log_after", r.audit_log_after)?,
            jobs_before: now - term("jobs_after", r.jobs_after)?,
        })
        .await?;
    let mail_files = match mailer {
        Some(m) => {
            let before = SystemTime::from(now - term("mail_files_after", r.mail_files_after)?);
            m.prune_files(before)?
        }
        None => 0,
    };
    Ok(RetentionOutcome {
        pupils,
        group_records,
        pruned,
        mail_files,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::DEFAULT_CONFIG_TOML;

    #[tokio::test]
    async fn a_run_applies_every_term_and_prunes_old_mail_files() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("r.db").display());
        let store = crate::store::open(&url).await.expect("store");
        store.migrate().await.expect("migrate");
        let settings = Settings::from_toml_str(DEFAULT_CONFIG_TOML).expect("settings");
        let mail_dir = dir.path().join("mail");
        std::fs::create_dir_all(&mail_dir).expect("mail dir");
        let now = Utc::now();
        let old = mail_dir.join("digest-old.eml");
        let new = mail_dir.join("digest-new.eml");
        let other = mail_dir.join("notes.txt");
        for p in [&old, &new, &other] {
            std::fs::write(p, "x").expect("write");
        }
        let long_ago = SystemTime::from(now - TimeDelta::days(31));
        for p in [&old, &other] {
            std::fs::File::options()
                .write(true)
                .open(p)
                .expect("open")
                .set_modified(long_ago)
                .expect("mtime");
        }
        store
            .audit("ib", "pupil.view", None, "pupil:1")
            .await
            .expect("audit");
        let mailer = Mailer::File(mail_dir.clone());
        let outcome = run_retention(store.as_ref(), &settings, Some(&mailer), now.date_naive(), now)
            .await
            .expect("run");
        assert_eq!(outcome.mail_files, 1, "{outcome:?}");
        assert!(
            !old.exists() && new.exists() && other.exists(),
            "only old .eml files go"
        );
        assert_eq!(outcome.pruned.audit, 0, "a fresh audit row stays (2 years)");
        // Two years and a day later the audit row goes too.
        let later = now + TimeDelta::days(2 * 366);
        let outcome = run_retention(store.as_ref(), &settings, None, later.date_naive(), later)
            .await
            .expect("run");
        assert_eq!((outcome.pruned.audit, outcome.mail_files), (1, 0));
        store.close().await;
    }
}
