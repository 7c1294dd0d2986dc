//! Every setting ThredOps understands: its environment variable, its file key, default and meaning.
//!
//! One table feeds loading, `thredops config`, and the README check, so a setting cannot exist
//! without documentation.

/// Documentation and default of one setting.
#[derive(Debug, Clone, Copy)]
pub struct SettingSpec {
    /// Key in the optional TOML file.
    pub key: &'static str,
    /// Environment variable that overrides the file.
    pub env: &'static str,
    /// Default when neither the file nor the environment sets it; `None` means unset.
    pub default: Option<&'static str>,
    /// Whether the value is secret (redacted by `thredops config`, never logged).
    pub secret: bool,
    /// What the setting does.
    pub doc: &'static str,
}

const fn spec(
    key: &'static str,
    env: &'static str,
    default: Option<&'static str>,
    secret: bool,
    doc: &'static str,
) -> SettingSpec {
    SettingSpec {
        key,
        env,
        default,
        secret,
        doc,
    }
}

/// All settings, in the order `thredops config` prints them.
pub const SETTINGS: &[SettingSpec] = &[
    spec(
        "bind",
        "THREDOPS_BIND",
        Some("127.0.0.1:8080"),
        false,
        "Address and port the HTTP server listens on.",
    ),
    spec(
        "public_url",
        "THREDOPS_PUBLIC_URL",
        None,
        false,
        "URL users reach ThredOps at (scheme, host, port). Defaults to http://<bind>. An https URL turns on Secure/__Host- cookies and HSTS.",
    ),
    spec(
        "data_dir",
        "THREDOPS_DATA_DIR",
        Some("./data"),
        false,
        "Directory for the SQLite database, the master key file, uploaded media and the mail outbox.",
    ),
    spec(
        "database_url",
        "THREDOPS_DATABASE_URL",
        None,
        true,
        "Database. Default: the encrypted SQLite file <data_dir>/thredops.db. sqlite://PATH selects another file; postgres://... selects PostgreSQL (sslmode in the URL is honoured). Other schemes are refused.",
    ),
    spec(
        "database_max_connections",
        "THREDOPS_DATABASE_MAX_CONNECTIONS",
        Some("10"),
        false,
        "Maximum connections in the database pool.",
    ),
    spec(
        "master_key",
        "THREDOPS_MASTER_KEY",
        None,
        true,
        "The 256-bit master key as 64 hex characters. Takes precedence over the key file. Protects the SQLite file and wraps every per-user data key.",
    ),
    spec(
        "master_key_file",
        "THREDOPS_MASTER_KEY_FILE",
        None,
        false,
        "Path of the master key file. Default: <data_dir>/master.key, generated (mode 0600) on first start.",
    ),
    spec(
        "log_format",
        "THREDOPS_LOG_FORMAT",
        Some("text"),
        false,
        "Log output: text or json.",
    ),
    spec(
        "log_level",
        "THREDOPS_LOG",
        Some("info"),
        false,
        "Log filter in tracing-subscriber EnvFilter syntax, e.g. info or thredops=debug,info.",
    ),
    spec(
        "tls_cert",
        "THREDOPS_TLS_CERT",
        None,
        false,
        "PEM certificate chain: with THREDOPS_TLS_KEY, serve HTTPS directly (rustls).",
    ),
    spec(
        "tls_key",
        "THREDOPS_TLS_KEY",
        None,
        false,
        "PEM private key for THREDOPS_TLS_CERT.",
    ),
    spec(
        "session_idle_minutes",
        "THREDOPS_SESSION_IDLE_MINUTES",
        Some("720"),
        false,
        "A session not used for this many minutes is signed out.",
    ),
    spec(
        "session_absolute_hours",
        "THREDOPS_SESSION_ABSOLUTE_HOURS",
        Some("336"),
        false,
        "A session ends this many hours after sign-in, whatever its use.",
    ),
    spec(
        "trust_forwarded_for",
        "THREDOPS_TRUST_FORWARDED_FOR",
        Some("false"),
        false,
        "Take the client IP from X-Forwarded-For (only behind a reverse proxy you control); used for throttling.",
    ),
    spec(
        "metrics_token",
        "THREDOPS_METRICS_TOKEN",
        None,
        true,
        "Bearer token a Prometheus scraper sends to read /metrics from another machine. Unset: /metrics answers this machine only (not through a proxy).",
    ),
    spec(
        "request_timeout_seconds",
        "THREDOPS_REQUEST_TIMEOUT_SECONDS",
        Some("30"),
        false,
        "Longest time one HTTP request may take before it is answered 408; uploads instead fail when no data arrives for this long.",
    ),
    spec(
        "max_body_bytes",
        "THREDOPS_MAX_BODY_BYTES",
        Some("1048576"),
        false,
        "Largest accepted request body for forms and JSON (413 above it).",
    ),
    spec(
        "job_workers",
        "THREDOPS_JOB_WORKERS",
        Some("4"),
        false,
        "Background job workers in this instance (sync, analytics, audits, purges). 0 runs no jobs here, publishing included.",
    ),
    spec(
        "publish_workers",
        "THREDOPS_PUBLISH_WORKERS",
        Some("1024"),
        false,
        "Publishing workers in this instance, apart from the background ones so a long sync never delays a scheduled post. They are the posts published at once; a post waiting on Threads costs little, and an idle worker nothing.",
    ),
    spec(
        "threads_app_id",
        "THREDOPS_THREADS_APP_ID",
        None,
        false,
        "Threads app ID (the Threads one, not the Facebook app ID). With the secret set, ThredOps talks to the real Threads API.",
    ),
    spec(
        "threads_app_secret",
        "THREDOPS_THREADS_APP_SECRET",
        None,
        true,
        "Threads app secret: exchanges codes for tokens and verifies Meta's signed callbacks.",
    ),
    spec(
        "threads_redirect_uri",
        "THREDOPS_THREADS_REDIRECT_URI",
        None,
        false,
        "OAuth redirect URI registered with Meta. Default: <public_url>/oauth/threads/callback.",
    ),
    spec(
        "threads_graph_url",
        "THREDOPS_THREADS_GRAPH_URL",
        Some("https://graph.threads.net"),
        false,
        "Base URL of the Threads Graph API (ignored in sandbox mode).",
    ),
    spec(
        "threads_authorize_url",
        "THREDOPS_THREADS_AUTHORIZE_URL",
        Some("https://threads.net"),
        false,
        "Base URL of Meta's authorization window (ignored in sandbox mode).",
    ),
    spec(
        "sandbox",
        "THREDOPS_SANDBOX",
        Some("auto"),
        false,
        "Built-in Threads API sandbox with synthetic creators: auto (on when no Threads app is configured), on, or off.",
    ),
    spec(
        "sandbox_frozen_clock",
        "THREDOPS_SANDBOX_FROZEN_CLOCK",
        Some("false"),
        false,
        "Freeze the sandbox's clock (metrics stop growing unless the clock is advanced through its admin API); for tests and reproducible demos.",
    ),
    spec(
        "sandbox_admin",
        "THREDOPS_SANDBOX_ADMIN",
        Some("local"),
        false,
        "Who may use the sandbox's admin API (clock, faults, creators, tokens, ground truth) under /sandbox/_sandbox: local (clients on this machine and signed-in admins) or open (anyone).",
    ),
    spec(
        "threads_timeout_seconds",
        "THREDOPS_THREADS_TIMEOUT_SECONDS",
        Some("30"),
        false,
        "Longest one Threads API request may take before it is retried or reported.",
    ),
    spec(
        "sandbox_seed",
        "THREDOPS_SANDBOX_SEED",
        Some("42"),
        false,
        "Seed of the sandbox's synthetic creators (same seed, same data).",
    ),
    spec(
        "stripe_secret_key",
        "THREDOPS_STRIPE_SECRET_KEY",
        None,
        true,
        "Stripe secret API key. Billing is on only when this is set; without it every feature is available with no limits.",
    ),
    spec(
        "stripe_webhook_secret",
        "THREDOPS_STRIPE_WEBHOOK_SECRET",
        None,
        true,
        "Signing secret(s) of the Stripe webhook endpoint <public_url>/hooks/stripe (whsec_...); several, comma-separated, while rotating. Required with THREDOPS_STRIPE_SECRET_KEY.",
    ),
    spec(
        "stripe_api_base",
        "THREDOPS_STRIPE_API_BASE",
        Some("https://api.stripe.com"),
        false,
        "Base URL of the Stripe API (point it at a Stripe fake in tests).",
    ),
    spec(
        "billing_grace_days",
        "THREDOPS_BILLING_GRACE_DAYS",
        Some("7"),
        false,
        "Days a past-due subscription keeps its plan's limits before falling back to Free.",
    ),
    spec(
        "billing_free_limits",
        "THREDOPS_BILLING_FREE_LIMITS",
        Some("profiles=1,strategist=off,audits=1,history_days=90"),
        false,
        "Limits of the Free plan: profiles, strategist (on/off), audits (per month), history_days; a number or unlimited.",
    ),
    spec(
        "billing_pro_price_id",
        "THREDOPS_BILLING_PRO_PRICE_ID",
        None,
        false,
        "Stripe price id of the Pro plan (price_...); the plan is offered only when set.",
    ),
    spec(
        "billing_pro_price_label",
        "THREDOPS_BILLING_PRO_PRICE_LABEL",
        Some("$12 / month"),
        false,
        "Price of the Pro plan as shown on the plans page.",
    ),
    spec(
        "billing_pro_limits",
        "THREDOPS_BILLING_PRO_LIMITS",
        Some("profiles=5,strategist=on,audits=10,history_days=730"),
        false,
        "Limits of the Pro plan (same syntax as THREDOPS_BILLING_FREE_LIMITS).",
    ),
    spec(
        "billing_agency_price_id",
        "THREDOPS_BILLING_AGENCY_PRICE_ID",
        None,
        false,
        "Stripe price id of the Agency plan (price_...); the plan is offered only when set.",
    ),
    spec(
        "billing_agency_price_label",
        "THREDOPS_BILLING_AGENCY_PRICE_LABEL",
        Some("$49 / month"),
        false,
        "Price of the Agency plan as shown on the plans page.",
    ),
    spec(
        "billing_agency_limits",
        "THREDOPS_BILLING_AGENCY_LIMITS",
        Some("profiles=25,strategist=on,audits=unlimited,history_days=unlimited"),
        false,
        "Limits of the Agency plan (same syntax as THREDOPS_BILLING_FREE_LIMITS).",
    ),
    spec(
        "operator_name",
        "THREDOPS_OPERATOR_NAME",
        Some("ThredOps"),
        false,
        "Name of whoever runs this ThredOps, shown on the privacy and cookie pages and in deletion receipts.",
    ),
    spec(
        "operator_contact",
        "THREDOPS_OPERATOR_CONTACT",
        Some("support@thredops.com"),
        false,
        "Privacy contact address shown in the privacy policy (where deletion requests by email go).",
    ),
    spec(
        "retention_inactive_days",
        "THREDOPS_RETENTION_INACTIVE_DAYS",
        Some("365"),
        false,
        "An account with no sign-in or use for this many days has its Threads (Meta API) data purged.",
    ),
    spec(
        "retention_warning_days",
        "THREDOPS_RETENTION_WARNING_DAYS",
        Some("30"),
        false,
        "How many days before the inactivity purge the user is warned (email and in-app).",
    ),
    spec(
        "smtp_url",
        "THREDOPS_SMTP_URL",
        None,
        true,
        "SMTP server for outgoing mail, e.g. smtps://user:pass@mail.example:465 or smtp://mail.example:587?tls=required (rustls). Unset: mail goes to <data_dir>/outbox.",
    ),
    spec(
        "mail_from",
        "THREDOPS_MAIL_FROM",
        Some("ThredOps <no-reply@thredops.local>"),
        false,
        "From address of outgoing mail.",
    ),
    spec(
        "llm_base_url",
        "THREDOPS_LLM_BASE_URL",
        None,
        false,
        "OpenAI-compatible endpoint (hosted or local) the strategist may use to phrase findings and draft post ideas; unset = off. Only aggregates are sent, and only for users who opt in.",
    ),
    spec(
        "llm_model",
        "THREDOPS_LLM_MODEL",
        None,
        false,
        "Model name sent to THREDOPS_LLM_BASE_URL; required when it is set.",
    ),
    spec(
        "llm_api_key",
        "THREDOPS_LLM_API_KEY",
        None,
        true,
        "Bearer key for THREDOPS_LLM_BASE_URL, if the endpoint needs one.",
    ),
];

/// Looks up a setting by file key.
pub fn find(key: &str) -> Option<&'static SettingSpec> {
    SETTINGS.iter().find(|s| s.key == key)
}
