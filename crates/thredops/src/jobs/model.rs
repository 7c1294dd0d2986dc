//! The records the queue stores and hands out.

use std::fmt;
use std::str::FromStr;

use crate::domain::{WorkspaceId, id_type};

id_type!(
    /// A job in the queue (a UUID).
    JobId
);
id_type!(
    /// A worker that claims jobs: one per runner task, unique across instances.
    WorkerId
);

/// Where a job is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobState {
    /// Waiting for `run_at` and a free worker.
    Queued,
    /// Leased by a worker.
    Running,
    /// Finished successfully.
    Succeeded,
    /// Gave up: attempts exhausted or a permanent error (the dead-letter list).
    Dead,
    /// Cancelled before it finished (e.g. its account or profile went away).
    Cancelled,
}

impl JobState {
    /// The value stored in the `state` column.
    pub fn as_str(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Succeeded => "succeeded",
            JobState::Dead => "dead",
            JobState::Cancelled => "cancelled",
        }
    }
}

impl fmt::Display for JobState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A `state` column value this version does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown job state {0:?}")]
pub struct UnknownState(pub String);

impl FromStr for JobState {
    type Err = UnknownState;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(match s {
            "queued" => JobState::Queued,
            "running" => JobState::Running,
            "succeeded" => JobState::Succeeded,
            "dead" => JobState::Dead,
            "cancelled" => JobState::Cancelled,
            other => return Err(UnknownState(other.to_owned())),
        })
    }
}

/// What a caller asks the queue to run.
#[derive(Debug, Clone)]
pub struct NewJob {
    /// Which handler runs it (e.g. `"sync_profile"`).
    pub kind: String,
    /// Handler input. Keep it to ids: payloads are stored in clear and must not hold secrets.
    pub payload: serde_json::Value,
    /// Earliest start, Unix milliseconds.
    pub run_at: i64,
    /// While a job with this key is queued or running, enqueueing again returns that job.
    pub dedup_key: Option<String>,
    /// Attempts before the job is declared dead (at least 1).
    pub max_attempts: i32,
    /// Owning workspace, so its work can be cancelled or purged with it.
    pub user_id: Option<WorkspaceId>,
    /// What the job is about (e.g. a profile id), so that work can be cancelled with it.
    pub subject: Option<String>,
}

impl NewJob {
    /// Attempts a job gets unless the caller says otherwise.
    pub const DEFAULT_MAX_ATTEMPTS: i32 = 5;

    /// A job of `kind` with `payload`, runnable now, five attempts, no key, owner or subject.
    pub fn new(kind: impl Into<String>, payload: serde_json::Value) -> Self {
        Self {
            kind: kind.into(),
            payload,
            run_at: crate::clock::now_ms(),
            dedup_key: None,
            max_attempts: Self::DEFAULT_MAX_ATTEMPTS,
            user_id: None,
            subject: None,
        }
    }

    /// Sets the earliest start (Unix milliseconds).
    pub fn run_at(mut self, run_at_ms: i64) -> Self {
        self.run_at = run_at_ms;
        self
    }

    /// Sets the dedup key.
    pub fn dedup_key(mut self, key: impl Into<String>) -> Self {
        self.dedup_key = Some(key.into());
        self
    }

    /// Sets the attempt budget (values below 1 are raised to 1).
    pub fn max_attempts(mut self, n: i32) -> Self {
        self.max_attempts = n.max(1);
        self
    }

    /// Sets the owning account.
    pub fn user(mut self, workspace: &WorkspaceId) -> Self {
        self.user_id = Some(workspace.clone());
        self
    }

    /// Sets the subject (e.g. a profile id).
    pub fn subject(mut self, subject: impl Into<String>) -> Self {
        self.subject = Some(subject.into());
        self
    }
}

/// A stored job, as `get`, `claim` and the dead-letter list return it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Job id (UUID).
    pub id: JobId,
    /// Handler name.
    pub kind: String,
    /// Handler input.
    pub payload: serde_json::Value,
    /// Life-cycle state.
    pub state: JobState,
    /// Earliest next start, Unix milliseconds.
    pub run_at: i64,
    /// Attempts started so far (a claim, including a reclaim after an expired lease, counts one).
    pub attempts: i32,
    /// Attempt budget.
    pub max_attempts: i32,
    /// Worker holding (or last holding) the lease.
    pub lease_owner: Option<WorkerId>,
    /// When the lease lapses unless extended, Unix milliseconds.
    pub lease_expires_at: Option<i64>,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// Dedup key, if any.
    pub dedup_key: Option<String>,
    /// Owning workspace.
    pub user_id: Option<WorkspaceId>,
    /// Subject (e.g. a profile id).
    pub subject: Option<String>,
    /// Progress the handler last reported.
    pub progress: Option<serde_json::Value>,
    /// Enqueued at, Unix milliseconds.
    pub created_at: i64,
    /// Last change, Unix milliseconds.
    pub updated_at: i64,
    /// When it succeeded, died or was cancelled, Unix milliseconds.
    pub finished_at: Option<i64>,
}

impl Job {
    /// The lease this job was claimed under (meaningful for a job `claim` returned).
    pub fn lease(&self) -> Lease {
        Lease {
            job_id: self.id.clone(),
            owner: self.lease_owner.clone().unwrap_or_default(),
            attempt: self.attempts,
        }
    }
}

/// Proof of one claim: every write about a running job must present it.
///
/// The attempt number is part of it so that even the same worker id cannot finish a run it lost
/// and later reclaimed: only the newest claim's writes land.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lease {
    /// The claimed job.
    pub job_id: JobId,
    /// The worker that claimed it.
    pub owner: WorkerId,
    /// The attempt this claim started.
    pub attempt: i32,
}

/// Queue depth of one (kind, state) pair.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KindCount {
    /// Handler name.
    pub kind: String,
    /// State.
    pub state: JobState,
    /// Number of jobs.
    pub count: i64,
}

/// What `fail` did with a job.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailOutcome {
    /// Requeued to run again no earlier than `run_at` (Unix milliseconds).
    Retrying {
        /// Next earliest start.
        run_at: i64,
    },
    /// Moved to the dead-letter list.
    Dead,
    /// The lease was no longer ours (expired and reclaimed, or the job was cancelled): nothing
    /// was written.
    LeaseLost,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_round_trip_through_their_column_values() {
        for s in [
            JobState::Queued,
            JobState::Running,
            JobState::Succeeded,
            JobState::Dead,
            JobState::Cancelled,
        ] {
            assert_eq!(s.as_str().parse::<JobState>().unwrap(), s);
        }
        assert!("paused".parse::<JobState>().is_err());
    }

    #[test]
    fn new_job_never_has_fewer_than_one_attempt() {
        let job = NewJob::new("k", serde_json::json!({})).max_attempts(0);
        assert_eq!(job.max_attempts, 1);
    }
}
