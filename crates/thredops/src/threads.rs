//! The connection to the Threads API: Meta's real one, or the built-in sandbox in this process.

use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use threads_api::{AppCredentials, ClientSecret, RetryPolicy, Scope, ThreadsClient};
use threads_sandbox::{Sandbox, SandboxConfig};
use url::Url;

use crate::config::{Settings, ThreadsMode};

/// Where the sandbox is mounted inside the ThredOps server.
pub const SANDBOX_PREFIX: &str = "/sandbox";

/// Where Meta delivers Threads webhooks (replies and mentions for the inbox).
pub const WEBHOOK_PATH: &str = "/hooks/threads/webhook";

/// The scopes ThredOps asks for, and why. Nothing else is requested.
pub const SCOPES: &[(Scope, &str)] = &[
    (
        Scope::Basic,
        "Read your profile (username, account ID) and your post history. Required by Meta for everything.",
    ),
    (
        Scope::ManageInsights,
        "Read views, likes, replies, reposts, quotes, shares, follower counts and aggregated audience demographics for analytics, the Strategist and the Deep Audit.",
    ),
    (
        Scope::ContentPublish,
        "Publish the posts you schedule in ThredOps, and read your remaining publishing quota.",
    ),
    (
        Scope::ReadReplies,
        "Find the replies of a thread you schedule after an interruption (a restart, a network cut), so each is published exactly once.",
    ),
];

/// Scopes asked for only when the user turns on the feature that needs them (a second consent
/// through the same connect flow), with the reason shown before they leave for Meta.
pub const OPTIONAL_SCOPES: &[(Scope, &str)] = &[
    (
        Scope::ProfileDiscovery,
        "Look up the public profiles you choose as competitors (followers, 7-day totals and public posts), once a day, to compare them with your own.",
    ),
    (
        Scope::KeywordSearch,
        "Search public posts for the keywords and topic tags you save in Listening, about once an hour, and reply to the posts it finds.",
    ),
];

/// An optional scope by its wire name.
pub fn optional_scope(name: &str) -> Option<Scope> {
    OPTIONAL_SCOPES
        .iter()
        .map(|(s, _)| *s)
        .find(|s| s.as_str() == name)
}

/// The scopes the inbox adds, asked for only when the user turns the inbox on, and why.
pub const INBOX_SCOPES: &[(Scope, &str)] = &[
    (
        Scope::ReadReplies,
        "Read the replies under your posts and their conversations, so they appear in your inbox.",
    ),
    (
        Scope::ManageReplies,
        "Hide and unhide replies under your posts from the inbox, and read how many of your 1,000 daily replies are left.",
    ),
    (
        Scope::ManageMentions,
        "Read public posts that mention you, so they appear in your inbox, and answer them.",
    ),
];

/// Everything needed to call the Threads API for this deployment.
#[derive(Clone)]
pub struct ThreadsGateway {
    /// The typed client (base URLs, retries, call counter).
    pub client: ThreadsClient,
    /// App id and secret.
    pub app: AppCredentials,
    /// OAuth redirect URI registered for the app.
    pub redirect_uri: String,
    /// The in-process simulator, in sandbox mode.
    pub sandbox: Option<Sandbox>,
    /// Anyone may use the sandbox's admin API (`THREDOPS_SANDBOX_ADMIN=open`).
    pub sandbox_admin_open: bool,
}

impl std::fmt::Debug for ThreadsGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadsGateway")
            .field("graph", &self.client.config().graph_base.as_str())
            .field("sandbox", &self.sandbox.is_some())
            .finish_non_exhaustive()
    }
}

impl ThreadsGateway {
    /// Builds the gateway for the configured mode; `public_url` is where this server is reached.
    /// `sandbox_secret` is the app secret of the built-in sandbox, unique to this installation.
    pub fn build(
        settings: &Settings,
        public_url: &Url,
        sandbox_secret: &str,
    ) -> anyhow::Result<Self> {
        let mut sandbox_admin_open = false;
        let base = public_url.as_str().trim_end_matches('/').to_owned();
        let redirect_uri = settings
            .threads_redirect_uri
            .as_ref()
            .map(|u| u.to_string())
            .unwrap_or_else(|| format!("{base}/oauth/threads/callback"));
        let (graph, authorize, app, sandbox) = match &settings.threads {
            ThreadsMode::Real {
                app_id,
                app_secret,
                graph_url,
                authorize_url,
            } => (
                graph_url.to_string(),
                authorize_url.to_string(),
                AppCredentials {
                    client_id: app_id.clone(),
                    client_secret: ClientSecret::new(app_secret.expose()),
                },
                None,
            ),
            ThreadsMode::Sandbox {
                seed,
                frozen_clock,
                admin_open,
            } => {
                let mounted = format!("{base}{SANDBOX_PREFIX}");
                let mut config = SandboxConfig {
                    seed: *seed,
                    frozen_clock: *frozen_clock,
                    public_base_url: Some(mounted.clone()),
                    // Per install: Meta callbacks signed with a public default would let anyone
                    // remove another user's sandbox profiles.
                    app_secret: sandbox_secret.to_owned(),
                    // Deliveries go to our own webhook endpoint when one is configured.
                    webhook_url: settings
                        .threads_webhook_verify_token
                        .as_ref()
                        .map(|_| format!("{base}{WEBHOOK_PATH}")),
                    ..SandboxConfig::default()
                };
                sandbox_admin_open = *admin_open;
                if *frozen_clock {
                    // A frozen clock never lets the second a text container takes pass; with
                    // it frozen, text is ready at once (media still wait for the clock to move).
                    config.processing.text_ms = 0;
                }
                let app = AppCredentials {
                    client_id: config.app_id.clone(),
                    client_secret: ClientSecret::new(config.app_secret.clone()),
                };
                (mounted.clone(), mounted, app, Some(Sandbox::new(config)))
            }
        };
        let client = ThreadsClient::builder()
            .graph_base(graph.trim_end_matches('/'))
            .authorize_base(authorize.trim_end_matches('/'))
            .connect_timeout(Duration::from_secs(5))
            .request_timeout(settings.threads_timeout)
            .retry(RetryPolicy::default())
            .user_agent(concat!("ThredOps/", env!("CARGO_PKG_VERSION")))
            .build()
            .context("building the Threads API client")?;
        Ok(Self {
            client,
            app,
            redirect_uri,
            sandbox,
            sandbox_admin_open,
        })
    }

    /// A client with the same settings and its own call counter (one per sync run, so calls are
    /// counted per profile). It shares nothing but configuration.
    pub fn fresh_client(&self) -> ThreadsClient {
        let c = self.client.config();
        ThreadsClient::builder()
            .graph_base(c.graph_base.as_str().trim_end_matches('/'))
            .authorize_base(c.authorize_base.as_str().trim_end_matches('/'))
            .api_version(c.api_version.as_deref())
            .connect_timeout(c.connect_timeout)
            .request_timeout(c.request_timeout)
            .retry(c.retry.clone())
            .user_agent(c.user_agent.clone())
            .build()
            .expect("settings were valid when the gateway was built")
    }

    /// The scopes requested at connect time.
    pub fn scopes() -> Vec<Scope> {
        SCOPES.iter().map(|(s, _)| *s).collect()
    }

    /// Current time as the Threads side sees it: the sandbox's (movable) clock, or the real one.
    pub fn now(&self) -> DateTime<Utc> {
        match &self.sandbox {
            Some(sandbox) => sandbox.clock().now(),
            None => crate::clock::now(),
        }
    }
}
