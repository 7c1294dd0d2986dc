//! Liveness of runner instances, so a crashed instance's jobs are taken over in seconds rather
//! than when their leases lapse.
//!
//! Each runner registers a row and beats every [`BEAT_EVERY`]. At every beat it also looks at
//! the others: an instance is dead when its beat is older than [`DEAD_AFTER`], or at once when
//! it ran on this machine (same boot, same process namespace) and its process is gone or is
//! another process with the same pid. A dead instance's running jobs get a lapsed lease, which
//! the ordinary claim picks up; its row is removed in the same transaction. A live instance
//! whose beat is merely late keeps its jobs until [`DEAD_AFTER`]; handlers are written so that
//! even a run taken over from a live worker does no harm (the publisher's compare-and-set
//! writes and stored marks), but they seldom need to be.

use std::time::Duration;

use super::Queue;
use crate::store::{StoreResult, with_pool, with_tx};

/// How often an instance beats and looks for dead ones.
pub const BEAT_EVERY: Duration = Duration::from_secs(2);
/// A beat older than this marks its instance dead (another machine's crash, a hung process).
pub const DEAD_AFTER: Duration = Duration::from_secs(15);

/// Where this process runs: the boot and the process namespace (two containers on one kernel
/// have different namespaces, so their pids are never compared). Empty when unknown.
pub fn this_host() -> String {
    let boot = std::fs::read_to_string("/proc/sys/kernel/random/boot_id").unwrap_or_default();
    let namespace = std::fs::read_link("/proc/self/ns/pid")
        .map(|p| p.display().to_string())
        .unwrap_or_default();
    if boot.trim().is_empty() || namespace.is_empty() {
        return String::new();
    }
    format!("{}/{namespace}", boot.trim())
}

/// This process as `<pid>:<start time>`, which no later process on the host repeats.
pub fn this_process() -> String {
    let pid = std::process::id();
    format!("{pid}:{}", start_time(pid).unwrap_or_default())
}

/// The start time (clock ticks since boot) of process `pid`, from `/proc/<pid>/stat`.
fn start_time(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses; fields after the last ')'
    // start at field 3, so the start time (field 22) is the 20th of them.
    let after = &stat[stat.rfind(')')? + 1..];
    after.split_whitespace().nth(19)?.parse().ok()
}

/// Whether a process recorded by [`this_process`] on this host is gone.
fn gone(process: &str) -> bool {
    let Some((pid, started)) = process.split_once(':') else {
        return false;
    };
    let (Ok(pid), Ok(started)) = (pid.parse::<u32>(), started.parse::<u64>()) else {
        return false;
    };
    match start_time(pid) {
        Some(now) => now != started,
        // Unreadable /proc/<pid>/stat: no such process (procfs is readable, we read ours).
        None => std::path::Path::new("/proc/self/stat").exists(),
    }
}

impl Queue {
    /// Registers (or re-registers) a runner instance as alive now.
    pub async fn register_instance(&self, instance: &str, now_ms: i64) -> StoreResult<()> {
        let (host, process) = (this_host(), this_process());
        with_pool!(self.store, |p| sqlx::query(
            "INSERT INTO job_instances (instance, host, process, started_at, heartbeat_at) \
             VALUES ($1, $2, $3, $4, $4) \
             ON CONFLICT (instance) DO UPDATE SET heartbeat_at = $4"
        )
        .bind(instance)
        .bind(&host)
        .bind(&process)
        .bind(now_ms)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records a beat; re-registers when the row is gone (another instance judged this one
    /// dead while its beats could not reach the database).
    pub async fn beat(&self, instance: &str, now_ms: i64) -> StoreResult<()> {
        let n = with_pool!(self.store, |p| sqlx::query(
            "UPDATE job_instances SET heartbeat_at = $2 WHERE instance = $1"
        )
        .bind(instance)
        .bind(now_ms)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        if n == 0 {
            tracing::warn!(
                instance,
                "this runner was taken for dead (its beats did not reach the database); registering again"
            );
            self.register_instance(instance, now_ms).await?;
        }
        Ok(())
    }

    /// Removes a stopping instance's row (its jobs were released already).
    pub async fn unregister_instance(&self, instance: &str) -> StoreResult<()> {
        with_pool!(self.store, |p| sqlx::query(
            "DELETE FROM job_instances WHERE instance = $1"
        )
        .bind(instance)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Finds dead instances other than `me`, ends the leases of their running jobs so any
    /// runner can claim them now, and forgets them. Returns how many jobs were freed. The
    /// interrupted attempt is not counted, as on a graceful stop: a burst of crashes must not
    /// use up the attempts of every job that happened to be running (a job that hangs its
    /// worker still uses them up, through lapsed leases).
    pub async fn reclaim_dead(&self, me: &str, now_ms: i64) -> StoreResult<u64> {
        let rows: Vec<(String, String, String, i64)> = with_pool!(self.store, |p| {
            sqlx::query_as(
                "SELECT instance, host, process, heartbeat_at FROM job_instances WHERE instance <> $1",
            )
            .bind(me)
            .fetch_all(p)
            .await
        })?;
        let here = this_host();
        let stale_before = now_ms - i64::try_from(DEAD_AFTER.as_millis()).unwrap_or(i64::MAX);
        let mut freed = 0;
        for (instance, host, process, beat) in rows {
            let local_and_gone = !here.is_empty() && host == here && gone(&process);
            if beat >= stale_before && !local_and_gone {
                continue;
            }
            freed += self.bury(&instance, beat, now_ms).await?;
        }
        Ok(freed)
    }

    /// Removes a dead instance's row if it has not beaten since `beat`, and ends its jobs'
    /// leases in the same transaction. Returns the jobs freed.
    async fn bury(&self, instance: &str, beat: i64, now_ms: i64) -> StoreResult<u64> {
        let mut tx = self.store.begin().await?;
        let removed = with_tx!(&mut tx, |c| sqlx::query(
            "DELETE FROM job_instances WHERE instance = $1 AND heartbeat_at = $2"
        )
        .bind(instance)
        .bind(beat)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        if removed == 0 {
            return Ok(0);
        }
        let pattern = format!("{instance}/%");
        let freed = with_tx!(&mut tx, |c| sqlx::query(
            "UPDATE jobs SET lease_expires_at = 0, updated_at = $2, \
                 attempts = CASE WHEN attempts > 0 THEN attempts - 1 ELSE 0 END \
             WHERE state = 'running' AND lease_owner LIKE $1"
        )
        .bind(&pattern)
        .bind(now_ms)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        tracing::warn!(
            instance,
            jobs = freed,
            "a job runner instance died; its jobs are free to run again"
        );
        Ok(freed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_a_made_up_one_is_gone() {
        assert!(!gone(&this_process()));
        let pid = std::process::id();
        let started = start_time(pid).unwrap();
        assert!(
            gone(&format!("{pid}:{}", started + 1)),
            "same pid, later process"
        );
        assert!(gone(&format!("{}:1", u32::MAX - 1)), "no such pid");
        assert!(!gone("unreadable"), "unknown shape counts as alive");
    }
}
