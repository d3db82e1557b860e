//! Lease holders: who claimed an outbox row or a job run. Every daemon start makes one id,
//! `host:pid:random@node`, and claims everything under it.
//!
//! `node` names the process namespace on this boot (the kernel's boot id and the pid-namespace
//! inode). It lets a starting daemon prove that a holder is dead — same node, and its process no
//! longer exists — so a killed predecessor's leases can be released at once instead of after
//! they expire. A holder on another machine, in another container or of an earlier boot is never
//! proven dead: its leases are released only when they expire. Without `/proc` (not Linux) there
//! is no node and no proof: only expiry.

/// The node of this process: the first 12 hex digits of the boot id and the pid-namespace inode,
/// `None` where `/proc` does not tell.
fn local_node() -> Option<String> {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").ok()?;
    let boot: String = boot
        .trim()
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(12)
        .collect();
    let ns = std::fs::read_link("/proc/self/ns/pid").ok()?;
    let ns: String = ns
        .to_string_lossy()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    (boot.len() == 12 && !ns.is_empty()).then(|| format!("{boot}-{ns}"))
}

/// A lease-holder id for one daemon instance, made once at start-up: `host:pid:random@node`
/// (`@node` only where `/proc` tells it). The random part tells two starts apart where host and
/// pid repeat (in a container the daemon is often pid 1 every time).
pub fn new_lease_holder() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().replace([':', '@'], "-"))
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "zorgsignaal".to_owned());
    let id = format!("{host}:{}:{:08x}", std::process::id(), rand::random::<u32>());
    match local_node() {
        Some(node) => format!("{id}@{node}"),
        None => id,
    }
}

/// Whether `holder` is provably dead as seen by the daemon `me`: it ran in this process
/// namespace on this boot (same node) and its process is gone — or its pid is ours, which a live
/// other holder cannot have. Anything else (another node, no node, a live pid, `me` itself) is
/// taken to be alive.
pub fn lease_holder_is_gone(holder: &str, me: &str) -> bool {
    if holder == me {
        return false;
    }
    let Some(node) = local_node() else {
        return false;
    };
    let Some((id, holder_node)) = holder.rsplit_once('@') else {
        return false;
    };
    if holder_node != node {
        return false;
    }
    let mut parts = id.rsplitn(3, ':');
    let (Some(_random), Some(pid), Some(_host)) = (parts.next(), parts.next(), parts.next()) else {
        return false;
    };
    let Ok(pid) = pid.parse::<u32>() else {
        return false;
    };
    pid == std::process::id() || !std::path::Path::new(&format!("/proc/{pid}")).exists()
}

/// One school's runs across daemons: held for the whole of a per-school job run (a school's sync,
/// full reconcile, roll snapshot or evaluation), so two daemons never work on one school at once
/// — within one daemon the runner already runs one school's runs one after another. Two runs of
/// one school can be due together on two daemons (the evaluation after a sync and the one after
/// the weekly full reconcile); run at once, both could check and send the same IB's urgent mail.
///
/// On PostgreSQL a session advisory lock (`pg_advisory_lock`, keyed by the school) on a
/// connection of its own, which ends with the connection: a daemon that is killed releases it as
/// its connection drops, and a peer that took the killed daemon's run over gets it then. On
/// SQLite nothing (one daemon per file).
#[derive(Debug)]
pub struct SchoolLock {
    conn: Option<sqlx::PgConnection>,
}

impl SchoolLock {
    /// Waits until no other daemon holds `school`'s lock on the store at `url`, then holds it.
    pub async fn acquire(url: &str, school: &crate::domain::Brin) -> Result<Self, super::StoreError> {
        use sqlx::Connection;
        use std::str::FromStr;
        let trimmed = url.trim();
        if !(trimmed.starts_with("postgres://") || trimmed.starts_with("postgresql://")) {
            return Ok(Self { conn: None });
        }
        let options = sqlx::postgres::PgConnectOptions::from_str(trimmed).map_err(|_| {
            super::StoreError::InvalidData(format!("bad PostgreSQL URL {}", super::DatabaseUrl::new(trimmed)))
        })?;
        let mut conn = sqlx::PgConnection::connect_with(&options).await?;
        sqlx::query("SELECT pg_advisory_lock(hashtext($1))")
            .bind(format!("zorgsignaal.school:{school}"))
            .execute(&mut conn)
            .await?;
        Ok(Self { conn: Some(conn) })
    }

    /// Gives the lock up (closing its connection does too).
    pub async fn release(self) {
        use sqlx::Connection;
        if let Some(mut conn) = self.conn {
            if let Err(e) = sqlx::query("SELECT pg_advisory_unlock_all()")
                .execute(&mut conn)
                .await
            {
                tracing::warn!(error = %e, "releasing a school lock failed; closing its connection releases it");
            }
            conn.close().await.ok();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holder_ids_differ_per_start_and_name_this_process() {
        let (a, b) = (new_lease_holder(), new_lease_holder());
        assert_ne!(a, b);
        let pid = format!(":{}:", std::process::id());
        assert!(a.contains(&pid), "{a}");
    }

    #[test]
    fn only_a_dead_holder_of_this_node_is_gone() {
        let me = new_lease_holder();
        assert!(!lease_holder_is_gone(&me, &me), "never itself");
        let Some(node) = local_node() else {
            // Without /proc nothing is provably dead.
            assert!(!lease_holder_is_gone("h:1:00000000", &me));
            return;
        };
        // An earlier start with our pid (a container restarted as pid 1): gone.
        let earlier = format!("h:{}:00000000@{node}", std::process::id());
        assert!(lease_holder_is_gone(&earlier, &me));
        // A pid that does not exist: gone. A live one (pid 1 always runs): alive.
        assert!(lease_holder_is_gone(&format!("h:{}:0@{node}", u32::MAX - 7), &me));
        assert!(!lease_holder_is_gone(&format!("h:1:0@{node}"), &me));
        // Another node, no node, or an unreadable id: alive until the lease expires.
        assert!(!lease_holder_is_gone(
            &format!("h:{}:0@000000000000-1", u32::MAX - 7),
            &me
        ));
        assert!(!lease_holder_is_gone(&format!("h:{}:0", u32::MAX - 7), &me));
        assert!(!lease_holder_is_gone(&format!("garbage@{node}"), &me));
    }
}
