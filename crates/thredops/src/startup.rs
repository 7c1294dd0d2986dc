//! Building and running the application: the seam tests use to start a real server.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use axum::Router;
use tokio::net::TcpListener;

use crate::app::{App, AppState};
use crate::auth::{Csrf, Keyring, Throttle};
use crate::clock::now_unix;
use crate::config::{DatabaseTarget, Settings};
use crate::crypto::MasterKey;
use crate::crypto::Vault;
use crate::jobs::{self, Queue, Runner, RunnerConfig};
use crate::store::{self, Store};
use crate::threads::ThreadsGateway;

/// Longest the HTTP server waits for open connections to finish once stopping.
const HTTP_DRAIN: Duration = Duration::from_secs(10);

/// Opens the key and the database, applying migrations. Shared by `serve` and the admin commands.
pub async fn open_store(settings: &Settings) -> anyhow::Result<(MasterKey, Store)> {
    std::fs::create_dir_all(&settings.data_dir).with_context(|| {
        format!(
            "cannot create the data directory {}",
            settings.data_dir.display()
        )
    })?;
    let master =
        MasterKey::load_or_create(settings.master_key.as_ref(), &settings.master_key_file)?;
    let what = match &settings.database {
        DatabaseTarget::Sqlite(path) => format!("the SQLite database {}", path.display()),
        DatabaseTarget::Postgres(_) => "the PostgreSQL database (THREDOPS_DATABASE_URL)".to_owned(),
    };
    let store = store::connect(
        &settings.database,
        &master,
        settings.database_max_connections,
    )
    .await
    .with_context(|| {
        format!("cannot open {what}; is it reachable, and is this the right master key?")
    })?
    .with_session_check(settings.session_check);
    store
        .migrate()
        .await
        .with_context(|| format!("cannot apply migrations to {what}"))?;
    Ok((master, store))
}

/// A bound, ready-to-run ThredOps server.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Opens storage, loads keys and binds the listener (port 0 picks a free port).
    pub async fn build(mut settings: Settings) -> anyhow::Result<Self> {
        let (master, store) = open_store(&settings).await?;
        let listener = TcpListener::bind(settings.bind)
            .await
            .with_context(|| format!("cannot listen on {} (THREDOPS_BIND)", settings.bind))?;
        let local = listener.local_addr()?;
        if settings.public_url.port() == Some(0) {
            settings
                .public_url
                .set_port(Some(local.port()))
                .expect("http URLs have ports");
        }
        let issuer = settings.public_url.origin().ascii_serialization();
        let keyring = Keyring::load(&store, &master, &issuer, now_unix()).await?;
        let sandbox_secret = hex::encode(master.derive("sandbox-app-secret"));
        let threads = ThreadsGateway::build(&settings, &settings.public_url, &sandbox_secret)?;
        let stripe = crate::billing::client(&settings.billing)?;
        let mailer = match &settings.privacy.smtp_url {
            Some(url) => crate::mail::Mailer::smtp(
                &settings.data_dir,
                settings.privacy.mail_from.clone(),
                url.expose(),
            )?,
            None => {
                crate::mail::Mailer::outbox(&settings.data_dir, settings.privacy.mail_from.clone())
            }
        };
        let state = AppState(Arc::new(App {
            stripe,
            support: crate::support::Hub::start(&store),
            stopping: tokio::sync::watch::Sender::new(false),
            overview_cache: crate::analytics::overview::OverviewCache::new(
                crate::analytics::overview::CACHE_CAPACITY,
            ),
            strategy_cache: crate::strategy::service::ReportCache::new(
                crate::strategy::service::REPORT_CACHE_CAPACITY,
            ),
            vault: Vault::new(master.clone(), store.clone()),
            jobs: Queue::new(store.clone()),
            job_metrics: Arc::new(jobs::Metrics::default()),
            mailer,
            threads,
            csrf: Csrf::new(master.derive("csrf")),
            throttle: Throttle::new(master.derive("sign-in")),
            chat_throttle: Default::default(),
            keyring,
            store,
            settings,
        }));
        Ok(Self { listener, state })
    }

    /// The port actually bound.
    pub fn port(&self) -> u16 {
        self.listener
            .local_addr()
            .map(|a| a.port())
            .unwrap_or_default()
    }

    /// The shared state (tests reach the store and keys through it).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves HTTP and runs the job workers until `shutdown` resolves, then drains in-flight
    /// requests and hands running jobs back to the queue.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let state = self.state.clone();
        let stop_tx = state.stopping.clone();
        let stop_rx = stop_tx.subscribe();
        tokio::spawn(async move {
            shutdown.await;
            stop_tx.send_replace(true);
        });
        let stopped = move || {
            let mut rx = stop_rx.clone();
            async move {
                let _ = rx.wait_for(|stop| *stop).await;
            }
        };
        let maintenance = tokio::spawn(maintenance(state.clone()));
        let workers = (state.settings.job_workers > 0).then(|| {
            let config = RunnerConfig {
                concurrency: state.settings.job_workers,
                ..RunnerConfig::default()
            };
            let runner =
                Runner::new(state.jobs.clone(), config).with_metrics(state.job_metrics.clone());
            let mut runner = register_jobs(runner, &state);
            let publishing = runner.split_off(
                &[crate::publishing::publisher::KIND],
                state.settings.publish_workers,
            );
            (
                tokio::spawn(runner.run_until_stopped(stopped())),
                tokio::spawn(publishing.run_until_stopped(stopped())),
            )
        });
        let app: Router = crate::http::router(crate::http::state::WebState::new(state.clone()));
        let serving = async {
            match state.settings.tls.clone() {
                None => axum::serve(
                    self.listener,
                    app.into_make_service_with_connect_info::<SocketAddr>(),
                )
                .with_graceful_shutdown(stopped())
                .await
                .context("HTTP server failed"),
                Some((cert, key)) => serve_tls(self.listener, app, &cert, &key, stopped()).await,
            }
        };
        // Draining waits for open connections; a chat socket or a stream that does not end
        // must not keep the process from stopping.
        let drain_limit = async {
            stopped().await;
            tokio::time::sleep(HTTP_DRAIN).await;
            tracing::warn!("connections still open after the drain period; closing them");
        };
        let result = tokio::select! {
            result = serving => result,
            () = drain_limit => Ok(()),
        };
        if let Some((background, publishing)) = workers {
            let _ = tokio::join!(background, publishing);
        }
        maintenance.abort();
        state.store.close().await;
        result
    }
}

async fn serve_tls(
    listener: TcpListener,
    app: Router,
    cert: &std::path::Path,
    key: &std::path::Path,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "cannot load THREDOPS_TLS_CERT {} / THREDOPS_TLS_KEY {}",
                cert.display(),
                key.display()
            )
        })?;
    let handle = axum_server::Handle::new();
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown.await;
        stopper.graceful_shutdown(Some(Duration::from_secs(20)));
    });
    axum_server::from_tcp_rustls(listener.into_std()?, config)
        .handle(handle)
        .serve(app.into_make_service_with_connect_info::<SocketAddr>())
        .await
        .context("HTTPS server failed")
}

/// Every job handler of every product area.
fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    let runner = crate::sync::register(runner, state);
    let runner = crate::analytics::register_jobs(runner, state);
    let runner = crate::publishing::register_jobs(runner, state);
    let runner = crate::privacy::register_jobs(runner, state);
    let runner = crate::strategy::register_jobs(runner, state);
    let runner = crate::billing::register_jobs(runner, state);
    let runner = crate::notifications::register_jobs(runner, state);
    let runner = crate::competitors::register_jobs(runner, state);
    let runner = crate::listening::register_jobs(runner, state);
    let runner = crate::inbox::register_jobs(runner, state);
    let runner = crate::webhooks::register_jobs(runner, state);
    crate::support::register_jobs(runner, state)
}

/// Housekeeping that is local to this instance (shared work goes through the job queue).
async fn maintenance(state: AppState) {
    let mut tick = tokio::time::interval(Duration::from_secs(300));
    loop {
        tick.tick().await;
        state.throttle.shrink();
        state.chat_throttle.shrink();
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing in-flight requests");
}
