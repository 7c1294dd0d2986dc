//! The application core: configuration, storage and the handles on outside services that every
//! product area works with. It knows nothing of HTTP; the web layer wraps it (see `http::state`).

use std::ops::Deref;
use std::sync::Arc;

use crate::auth::{Csrf, Keyring, Throttle};
use crate::config::Settings;
use crate::crypto::Vault;
use crate::jobs::{self, Queue};
use crate::store::Store;
use crate::threads::ThreadsGateway;

/// Everything a product area may need. Outside services sit behind their own types.
#[derive(Debug)]
pub struct App {
    /// Effective configuration.
    pub settings: Settings,
    /// Storage.
    pub store: Store,
    /// Session token keys.
    pub keyring: Keyring,
    /// CSRF tokens.
    pub csrf: Csrf,
    /// Attempt budgets.
    pub throttle: Throttle,
    /// Per-user data keys.
    pub vault: Vault,
    /// The Threads API (real or sandbox).
    pub threads: ThreadsGateway,
    /// The durable job queue.
    pub jobs: Queue,
    /// Job runner metrics.
    pub job_metrics: Arc<jobs::Metrics>,
    /// Outgoing email.
    pub mailer: crate::mail::Mailer,
    /// The Stripe API, when billing is configured.
    pub stripe: Option<crate::billing::StripeClient>,
    /// Live support chat fan-out (across instances on PostgreSQL).
    pub support: crate::support::Hub,
    /// Budgets of the chat paths anyone can reach.
    pub chat_throttle: crate::support::ChatThrottle,
    /// Computed analytics overviews, checked against each profile's data version.
    pub overview_cache: crate::analytics::overview::OverviewCache,
    /// Computed strategist reports (the home page's top finding), checked like the overviews.
    pub strategy_cache: crate::strategy::service::ReportCache,
    /// Turns true when the process starts stopping: long-lived responses (progress streams)
    /// end so the server can drain.
    pub stopping: tokio::sync::watch::Sender<bool>,
}

/// Cheap-to-clone handle on [`App`].
#[derive(Debug, Clone)]
pub struct AppState(pub Arc<App>);

impl Deref for AppState {
    type Target = App;

    fn deref(&self) -> &App {
        &self.0
    }
}

impl App {
    /// Whether the public URL is https (drives Secure cookies and HSTS).
    pub fn is_https(&self) -> bool {
        self.settings.public_url.scheme() == "https"
    }

    /// Wakes an idle job worker of this process (after committing an enqueue).
    pub fn jobs_wake(&self) {
        self.jobs.notify();
    }

    /// The public origin, e.g. `https://thredops.example` (no trailing slash).
    pub fn public_origin(&self) -> String {
        self.settings.public_url.origin().ascii_serialization()
    }
}
