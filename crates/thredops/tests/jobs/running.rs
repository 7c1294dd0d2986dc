//! A runner spawned for a test, and the waits the runner tests share.

use std::time::Duration;

use thredops::jobs::{Backoff, Job, JobState, Queue, Runner, RunnerConfig};
use tokio::sync::oneshot;

use crate::support::eventually;

/// How long any awaited condition may take before the test fails.
pub const WITHIN: Duration = Duration::from_secs(20);

/// Short intervals so tests finish quickly.
pub fn fast_config() -> RunnerConfig {
    RunnerConfig {
        concurrency: 2,
        poll_interval: Duration::from_millis(20),
        lease_duration: Duration::from_secs(5),
        heartbeat: Duration::from_millis(50),
        backoff: Backoff {
            base: Duration::from_millis(5),
            cap: Duration::from_millis(20),
        },
        shutdown_grace: Duration::from_secs(10),
        housekeeping_interval: Duration::from_millis(100),
        ..RunnerConfig::default()
    }
}

/// A spawned runner and the switch that stops it.
pub struct Running {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn start(runner: Runner) -> Self {
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(runner.run_until_stopped(async move {
            let _ = stopped.await;
        }));
        Self {
            stop: Some(stop),
            task,
        }
    }

    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        tokio::time::timeout(WITHIN, &mut self.task)
            .await
            .expect("runner stops")
            .expect("runner task ends cleanly");
    }
}

/// Waits until job `id` is in `state` and returns it.
pub async fn state_becomes(queue: &Queue, id: &thredops::jobs::JobId, state: JobState) -> Job {
    eventually(WITHIN, &format!("job {id} to be {state}"), || async move {
        queue.get(id).await.unwrap().filter(|j| j.state == state)
    })
    .await
}
