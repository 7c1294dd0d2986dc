//! Prometheus metrics of the job runner, in a registry of their own (prefix `thredops_jobs`).

use std::collections::HashSet;
use std::sync::Mutex;
use std::time::Duration;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::{KindCount, Queue};
use crate::store::StoreResult;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct DepthLabels {
    kind: String,
    state: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RunLabels {
    kind: String,
    outcome: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct FailureLabels {
    kind: String,
    class: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct KindLabels {
    kind: String,
}

/// How one run ended, as the `outcome` label of `thredops_jobs_runs_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunOutcome {
    /// Completed.
    Succeeded,
    /// Failed and requeued.
    Retrying,
    /// Failed for good.
    Dead,
    /// The lease was lost (expired and reclaimed, or cancelled) before the run could be recorded.
    LeaseLost,
}

impl RunOutcome {
    fn label(self) -> &'static str {
        match self {
            RunOutcome::Succeeded => "succeeded",
            RunOutcome::Retrying => "retrying",
            RunOutcome::Dead => "dead",
            RunOutcome::LeaseLost => "lease_lost",
        }
    }
}

/// Why a run failed, as the `class` label of `thredops_jobs_failures_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailureClass {
    /// `JobError::Retry`.
    Retryable,
    /// `JobError::Permanent`.
    Permanent,
    /// The handler panicked.
    Panic,
}

impl FailureClass {
    fn label(self) -> &'static str {
        match self {
            FailureClass::Retryable => "retryable",
            FailureClass::Permanent => "permanent",
            FailureClass::Panic => "panic",
        }
    }
}

/// The runner's instruments: queue depth by kind and state, runs by outcome, failures by class and
/// run latency by kind.
pub struct Metrics {
    registry: Registry,
    depth: Family<DepthLabels, Gauge>,
    runs: Family<RunLabels, Counter>,
    failures: Family<FailureLabels, Counter>,
    latency: Family<KindLabels, Histogram>,
    // Depth series seen before, so a pair that emptied reads 0 instead of vanishing.
    seen: Mutex<HashSet<DepthLabels>>,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("jobs::Metrics")
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("thredops_jobs");
        let depth = Family::<DepthLabels, Gauge>::default();
        let runs = Family::<RunLabels, Counter>::default();
        let failures = Family::<FailureLabels, Counter>::default();
        let latency = Family::<KindLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0,
            ])
        });
        registry.register("queue_depth", "Jobs by kind and state", depth.clone());
        registry.register("runs", "Job runs by kind and outcome", runs.clone());
        registry.register(
            "failures",
            "Failed job runs by kind and class (retryable, permanent, panic)",
            failures.clone(),
        );
        registry.register(
            "run_duration_seconds",
            "Job run latency by kind",
            latency.clone(),
        );
        Self {
            registry,
            depth,
            runs,
            failures,
            latency,
            seen: Mutex::default(),
        }
    }
}

impl Metrics {
    /// Appends the text exposition of these metrics to `out`, without the `# EOF` trailer so it can
    /// follow the application's own metrics in one `/metrics` answer.
    pub fn encode(&self, out: &mut String) {
        prometheus_client::encoding::text::encode_registry(out, &self.registry)
            .expect("writing to a String cannot fail");
    }

    /// Re-reads queue depth from the database (the runner also does this periodically).
    pub async fn refresh(&self, queue: &Queue) -> StoreResult<()> {
        let counts = queue.counts().await?;
        self.set_depth(&counts);
        Ok(())
    }

    /// Sets the depth gauge from `counts`; pairs no longer present read 0.
    pub fn set_depth(&self, counts: &[KindCount]) {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let mut now = HashSet::with_capacity(counts.len());
        for c in counts {
            let labels = DepthLabels {
                kind: c.kind.clone(),
                state: c.state.as_str().to_owned(),
            };
            self.depth.get_or_create(&labels).set(c.count);
            now.insert(labels);
        }
        for gone in seen.difference(&now) {
            self.depth.get_or_create(gone).set(0);
        }
        seen.extend(now);
    }

    /// Counts one finished run and its latency.
    pub fn record_run(&self, kind: &str, outcome: RunOutcome, elapsed: Duration) {
        self.runs
            .get_or_create(&RunLabels {
                kind: kind.to_owned(),
                outcome: outcome.label(),
            })
            .inc();
        self.latency
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Counts one failed run.
    pub fn record_failure(&self, kind: &str, class: FailureClass) {
        self.failures
            .get_or_create(&FailureLabels {
                kind: kind.to_owned(),
                class: class.label(),
            })
            .inc();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jobs::JobState;

    #[test]
    fn encodes_depth_runs_failures_and_latency_under_the_jobs_prefix() {
        let m = Metrics::default();
        m.set_depth(&[KindCount {
            kind: "sync".into(),
            state: JobState::Queued,
            count: 3,
        }]);
        m.record_run("sync", RunOutcome::Succeeded, Duration::from_millis(20));
        m.record_failure("sync", FailureClass::Panic);
        let mut out = String::new();
        m.encode(&mut out);
        assert!(out.contains("thredops_jobs_queue_depth{kind=\"sync\",state=\"queued\"} 3"));
        assert!(out.contains("thredops_jobs_runs_total{kind=\"sync\",outcome=\"succeeded\"} 1"));
        assert!(out.contains("thredops_jobs_failures_total{kind=\"sync\",class=\"panic\"} 1"));
        assert!(out.contains("thredops_jobs_run_duration_seconds_count{kind=\"sync\"} 1"));
        assert!(!out.contains("# EOF"));
    }

    #[test]
    fn a_kind_state_pair_that_empties_reads_zero() {
        let m = Metrics::default();
        m.set_depth(&[KindCount {
            kind: "sync".into(),
            state: JobState::Running,
            count: 1,
        }]);
        m.set_depth(&[]);
        let mut out = String::new();
        m.encode(&mut out);
        assert!(out.contains("thredops_jobs_queue_depth{kind=\"sync\",state=\"running\"} 0"));
    }
}
