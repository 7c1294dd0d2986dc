//! Layered configuration: built-in defaults, then an optional TOML file, then `THREDOPS_*` variables.

pub(crate) mod billing;
mod registry;
mod secret;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub use registry::{SETTINGS, SettingSpec};
pub use secret::Secret;
use url::Url;

/// A setting that could not be used; the message names it.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// A value that does not parse.
    #[error("{env} (`{key}`): {reason}")]
    Invalid {
        /// Environment variable name.
        env: &'static str,
        /// File key.
        key: &'static str,
        /// What is wrong with the value.
        reason: String,
    },
    /// A `THREDOPS_*` variable that names no setting: most likely a misspelling, which would
    /// otherwise leave the intended setting at its default without a word.
    #[error("{name} is not a ThredOps setting{}; `thredops config` lists them all", suggestion_text(.suggestion))]
    Unknown {
        /// The variable as set.
        name: String,
        /// The known setting it is closest to, if any is close.
        suggestion: Option<&'static str>,
    },
    /// The configuration file cannot be read or parsed.
    #[error("config file {path}: {reason}")]
    File {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        reason: String,
    },
}

/// Which database backend a URL selects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    /// An encrypted SQLite file.
    Sqlite(PathBuf),
    /// A PostgreSQL server (the URL is kept secret because it may carry a password).
    Postgres(Secret),
}

/// Where Threads API calls go.
#[derive(Debug, Clone)]
pub enum ThreadsMode {
    /// Meta's real API with this app.
    Real {
        /// Threads app ID.
        app_id: String,
        /// Threads app secret.
        app_secret: Secret,
        /// Graph API base URL.
        graph_url: Box<Url>,
        /// Authorization window base URL.
        authorize_url: Box<Url>,
    },
    /// The built-in simulator, mounted at `/sandbox` in this process.
    Sandbox {
        /// Seed of the synthetic creators.
        seed: u64,
        /// Whether the simulated clock stands still.
        frozen_clock: bool,
        /// Whether anyone may use the sandbox's admin API (else loopback clients and admins).
        admin_open: bool,
    },
}

/// Which path the session check takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionCheckPath {
    /// The fastest path of the backend: SQLite reads on the calling thread, PostgreSQL batches
    /// concurrent checks into one query.
    Fast,
    /// A query through the pool, as every other read: the reference the fast paths must match.
    Plain,
}

impl std::str::FromStr for SessionCheckPath {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "fast" => Ok(Self::Fast),
            "plain" => Ok(Self::Plain),
            other => Err(format!("expected fast or plain, got {other:?}")),
        }
    }
}

/// The effective, typed configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Listen address.
    pub bind: SocketAddr,
    /// Public base URL, without a trailing slash.
    pub public_url: Url,
    /// Data directory.
    pub data_dir: PathBuf,
    /// Database to use.
    pub database: DatabaseTarget,
    /// Pool size.
    pub database_max_connections: u32,
    /// How the session check of every request reads the database.
    pub session_check: SessionCheckPath,
    /// Master key given directly (hex).
    pub master_key: Option<Secret>,
    /// Master key file path.
    pub master_key_file: PathBuf,
    /// Emit JSON logs.
    pub log_json: bool,
    /// Log filter.
    pub log_level: String,
    /// TLS certificate and key files.
    pub tls: Option<(PathBuf, PathBuf)>,
    /// Idle session timeout.
    pub session_idle: Duration,
    /// Absolute session timeout.
    pub session_absolute: Duration,
    /// Whether to read the client IP from `X-Forwarded-For`.
    pub trust_forwarded_for: bool,
    /// Bearer token that opens `/metrics` to a remote scraper (else this machine only).
    pub metrics_token: Option<Secret>,
    /// Request timeout.
    pub request_timeout: Duration,
    /// Maximum request body size.
    pub max_body_bytes: usize,
    /// Timeout of one Threads API request.
    pub threads_timeout: Duration,
    /// Background job workers in this instance.
    pub job_workers: usize,
    /// Publishing workers in this instance (a lane of their own).
    pub publish_workers: usize,
    /// Real Threads API or the sandbox.
    pub threads: ThreadsMode,
    /// OAuth redirect URI, when set explicitly (else derived from the public URL).
    pub threads_redirect_uri: Option<Url>,
    /// Verify token of the Threads webhook subscription; `None`: no webhooks, the inbox polls.
    pub threads_webhook_verify_token: Option<Secret>,
    /// Stripe billing and plans (off without a Stripe key).
    pub billing: billing::BillingSettings,
    /// Operator identity, retention periods and mail delivery.
    pub privacy: PrivacySettings,
    /// Optional language model for the strategist: (base URL, model, API key).
    pub llm: Option<(Url, String, Option<Secret>)>,
    /// Whether feeds may be read from loopback and private-network addresses.
    pub feeds_private_hosts: bool,
    /// Whether outgoing webhooks may be sent to loopback and private-network addresses.
    pub webhooks_private_hosts: bool,
}

/// Who runs this deployment, how long inactive accounts keep their Meta data, and how mail leaves.
#[derive(Debug, Clone)]
pub struct PrivacySettings {
    /// Operator name shown on the policy pages.
    pub operator_name: String,
    /// Privacy contact address.
    pub operator_contact: String,
    /// Inactivity after which Meta API data is purged.
    pub inactive_after: Duration,
    /// How long before the purge the user is warned.
    pub warn_before: Duration,
    /// SMTP server URL; `None` writes mail to the outbox folder.
    pub smtp_url: Option<Secret>,
    /// From address of outgoing mail.
    pub mail_from: String,
}

/// Raw string values after layering, keyed by file key; the source of `thredops config`.
#[derive(Debug, Clone, Default)]
pub struct RawSettings {
    values: BTreeMap<&'static str, String>,
}

impl RawSettings {
    /// Layers defaults, the optional file and the given environment.
    pub fn load(
        file: Option<&Path>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut values = BTreeMap::new();
        for spec in SETTINGS {
            if let Some(default) = spec.default {
                values.insert(spec.key, default.to_owned());
            }
        }
        if let Some(path) = file {
            for (key, value) in read_file(path)? {
                values.insert(key, value);
            }
        }
        for spec in SETTINGS {
            if let Some(value) = env(spec.env).filter(|v| !v.is_empty()) {
                values.insert(spec.key, value);
            }
        }
        Ok(Self { values })
    }

    /// Loads from the process environment; the file comes from `--config` or `THREDOPS_CONFIG`.
    /// A `THREDOPS_*` variable that is not a setting is refused.
    pub fn from_process_env(file: Option<&Path>) -> Result<Self, ConfigError> {
        check_names(std::env::vars_os().filter_map(|(k, _)| k.into_string().ok()))?;
        Self::load(file, |name| std::env::var(name).ok())
    }

    /// Overrides one value (used by tests and subcommands).
    pub fn set(&mut self, key: &str, value: impl Into<String>) {
        let spec = registry::find(key).unwrap_or_else(|| panic!("unknown setting {key}"));
        self.values.insert(spec.key, value.into());
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.values.get(key).map(String::as_str)
    }

    /// Lines `NAME = value` for every setting, secrets redacted.
    pub fn describe(&self) -> String {
        let mut out = String::new();
        for spec in SETTINGS {
            let shown = match self.get(spec.key) {
                None => "(unset)".to_owned(),
                Some(_) if spec.secret => "(set, redacted)".to_owned(),
                Some(v) => v.to_owned(),
            };
            out.push_str(&format!("{} = {}\n", spec.env, shown));
        }
        out
    }

    /// Parses every value into typed settings, naming the first bad one.
    pub fn parse(&self) -> Result<Settings, ConfigError> {
        let bind: SocketAddr =
            self.parse_with("bind", |v| v.parse().map_err(|e| format!("{e}")))?;
        let public_url = match self.get("public_url") {
            Some(v) => parse_public_url(v).map_err(|reason| invalid("public_url", reason))?,
            None => Url::parse(&format!("http://{bind}")).expect("socket address forms a URL"),
        };
        let data_dir = PathBuf::from(self.require("data_dir")?);
        let database = match self.get("database_url") {
            None => DatabaseTarget::Sqlite(data_dir.join("thredops.db")),
            Some(v) => parse_database_url(v).map_err(|reason| invalid("database_url", reason))?,
        };
        let master_key_file = self
            .get("master_key_file")
            .map(PathBuf::from)
            .unwrap_or_else(|| data_dir.join("master.key"));
        let log_json = match self.require("log_format")? {
            "text" => false,
            "json" => true,
            other => {
                return Err(invalid(
                    "log_format",
                    format!("expected text or json, got {other:?}"),
                ));
            }
        };
        let tls = match (self.get("tls_cert"), self.get("tls_key")) {
            (None, None) => None,
            (Some(c), Some(k)) => Some((PathBuf::from(c), PathBuf::from(k))),
            (Some(_), None) => {
                return Err(invalid(
                    "tls_key",
                    "required when THREDOPS_TLS_CERT is set".into(),
                ));
            }
            (None, Some(_)) => {
                return Err(invalid(
                    "tls_cert",
                    "required when THREDOPS_TLS_KEY is set".into(),
                ));
            }
        };
        let threads = self.parse_threads_mode()?;
        let threads_redirect_uri = match self.get("threads_redirect_uri") {
            Some(v) => Some(Url::parse(v).map_err(|e| {
                invalid("threads_redirect_uri", format!("{v:?} is not a URL: {e}"))
            })?),
            None => None,
        };
        let llm = match (self.get("llm_base_url"), self.get("llm_model")) {
            (None, _) => None,
            (Some(_), None) => {
                return Err(invalid(
                    "llm_model",
                    "required when THREDOPS_LLM_BASE_URL is set".into(),
                ));
            }
            (Some(v), Some(model)) => Some((
                Url::parse(v)
                    .map_err(|e| invalid("llm_base_url", format!("{v:?} is not a URL: {e}")))?,
                model.to_owned(),
                self.get("llm_api_key").map(Secret::new),
            )),
        };
        let billing = billing::BillingSettings::parse(|k| self.get(k))
            .map_err(|(key, reason)| invalid(key, reason))?;
        let privacy = self.parse_privacy()?;
        Ok(Settings {
            billing,
            privacy,
            llm,
            feeds_private_hosts: self.parse_with("feeds_private_hosts", parse_bool)?,
            webhooks_private_hosts: self.parse_with("webhooks_private_hosts", parse_bool)?,
            threads,
            threads_redirect_uri,
            threads_webhook_verify_token: self.get("threads_webhook_verify_token").map(Secret::new),
            bind,
            public_url,
            data_dir,
            database,
            database_max_connections: self.parse_number("database_max_connections", 1, 1000)?
                as u32,
            session_check: self
                .require("session_check")?
                .parse()
                .map_err(|reason| invalid("session_check", reason))?,
            master_key: self.get("master_key").map(Secret::new),
            master_key_file,
            log_json,
            log_level: self.require("log_level")?.to_owned(),
            tls,
            session_idle: Duration::from_secs(
                60 * self.parse_number("session_idle_minutes", 1, 60 * 24 * 90)?,
            ),
            session_absolute: Duration::from_secs(
                3600 * self.parse_number("session_absolute_hours", 1, 24 * 365)?,
            ),
            trust_forwarded_for: self.parse_with("trust_forwarded_for", parse_bool)?,
            metrics_token: self.get("metrics_token").map(Secret::new),
            request_timeout: Duration::from_secs(self.parse_number(
                "request_timeout_seconds",
                1,
                3600,
            )?),
            max_body_bytes: self.parse_number("max_body_bytes", 1024, 1 << 30)? as usize,
            job_workers: self.parse_number("job_workers", 0, 256)? as usize,
            publish_workers: self.parse_number("publish_workers", 1, 4096)? as usize,
            threads_timeout: Duration::from_secs(self.parse_number(
                "threads_timeout_seconds",
                1,
                600,
            )?),
        })
    }

    fn parse_threads_mode(&self) -> Result<ThreadsMode, ConfigError> {
        let app = (self.get("threads_app_id"), self.get("threads_app_secret"));
        let sandbox = match self.require("sandbox")? {
            "auto" => app.0.is_none(),
            other => self.parse_with("sandbox", |_| {
                parse_bool(other).map_err(|_| format!("expected auto, on or off, got {other:?}"))
            })?,
        };
        if sandbox {
            let seed = self.parse_number("sandbox_seed", 0, u64::MAX)?;
            let frozen_clock = self.parse_with("sandbox_frozen_clock", parse_bool)?;
            let admin_open = match self.require("sandbox_admin")? {
                "local" => false,
                "open" => true,
                other => {
                    return Err(invalid(
                        "sandbox_admin",
                        format!("expected local or open, got {other:?}"),
                    ));
                }
            };
            return Ok(ThreadsMode::Sandbox {
                seed,
                frozen_clock,
                admin_open,
            });
        }
        let (Some(app_id), Some(secret)) = app else {
            return Err(match app.0 {
                None => invalid("threads_app_id", "required when the sandbox is off".into()),
                Some(_) => invalid(
                    "threads_app_secret",
                    "required with THREDOPS_THREADS_APP_ID".into(),
                ),
            });
        };
        let url = |key: &'static str| {
            self.parse_with(key, |v| {
                Url::parse(v).map_err(|e| format!("{v:?} is not a URL: {e}"))
            })
        };
        Ok(ThreadsMode::Real {
            app_id: app_id.to_owned(),
            app_secret: Secret::new(secret),
            graph_url: Box::new(url("threads_graph_url")?),
            authorize_url: Box::new(url("threads_authorize_url")?),
        })
    }

    fn parse_privacy(&self) -> Result<PrivacySettings, ConfigError> {
        let day = 86_400;
        let inactive = self.parse_number("retention_inactive_days", 30, 3650)?;
        let warn = self.parse_number("retention_warning_days", 1, 365)?;
        if warn >= inactive {
            return Err(invalid(
                "retention_warning_days",
                format!("must be less than THREDOPS_RETENTION_INACTIVE_DAYS ({inactive})"),
            ));
        }
        Ok(PrivacySettings {
            operator_name: self.require("operator_name")?.to_owned(),
            operator_contact: self.require("operator_contact")?.to_owned(),
            inactive_after: Duration::from_secs(inactive * day),
            warn_before: Duration::from_secs(warn * day),
            smtp_url: self.get("smtp_url").map(Secret::new),
            mail_from: self.require("mail_from")?.to_owned(),
        })
    }

    fn require(&self, key: &'static str) -> Result<&str, ConfigError> {
        self.get(key)
            .ok_or_else(|| invalid(key, "must be set".into()))
    }

    fn parse_with<T>(
        &self,
        key: &'static str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> Result<T, ConfigError> {
        parse(self.require(key)?).map_err(|reason| invalid(key, reason))
    }

    fn parse_number(&self, key: &'static str, min: u64, max: u64) -> Result<u64, ConfigError> {
        self.parse_with(key, |v| match v.trim().parse::<u64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(n),
            Ok(n) => Err(format!("{n} is outside {min}..={max}")),
            Err(_) => Err(format!("{v:?} is not a whole number")),
        })
    }
}

/// `THREDOPS_*` variables that are not settings: the command line's config file and the test
/// harness's own switches.
const NOT_SETTINGS: &[&str] = &[
    "THREDOPS_CONFIG",
    "THREDOPS_DEMO_PASSWORD",
    "THREDOPS_TEST_DATABASE_URL",
    "THREDOPS_REQUIRE_POSTGRES",
    "THREDOPS_REQUIRE_BROWSER",
];

/// Refuses the first `THREDOPS_*` name that is neither a setting nor one of [`NOT_SETTINGS`],
/// naming the setting it was probably meant to be.
pub fn check_names(names: impl IntoIterator<Item = String>) -> Result<(), ConfigError> {
    for name in names {
        if !name.starts_with("THREDOPS_")
            || NOT_SETTINGS.contains(&name.as_str())
            || SETTINGS.iter().any(|s| s.env == name)
        {
            continue;
        }
        let suggestion = SETTINGS
            .iter()
            .map(|s| (strsim::levenshtein(&name, s.env), s.env))
            .min()
            .filter(|(distance, _)| *distance <= 4)
            .map(|(_, env)| env);
        return Err(ConfigError::Unknown { name, suggestion });
    }
    Ok(())
}

fn suggestion_text(suggestion: &Option<&'static str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean {s}?)"))
        .unwrap_or_default()
}

fn invalid(key: &'static str, reason: String) -> ConfigError {
    let spec = registry::find(key).expect("known setting");
    ConfigError::Invalid {
        env: spec.env,
        key: spec.key,
        reason,
    }
}

fn parse_bool(v: &str) -> Result<bool, String> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        _ => Err(format!("expected true or false, got {v:?}")),
    }
}

fn parse_public_url(v: &str) -> Result<Url, String> {
    let url =
        Url::parse(v.trim_end_matches('/')).map_err(|e| format!("{v:?} is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(format!(
            "{v:?} must be an http:// or https:// URL with a host"
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".into());
    }
    Ok(url)
}

/// Chooses the backend from the URL scheme; anything else is refused so a typo cannot create an
/// empty database somewhere unexpected.
pub fn parse_database_url(v: &str) -> Result<DatabaseTarget, String> {
    if let Some(rest) = v
        .strip_prefix("sqlite://")
        .or_else(|| v.strip_prefix("sqlite:"))
    {
        let path = rest.split('?').next().unwrap_or_default();
        if path.is_empty() || path == ":memory:" {
            return Err("sqlite URLs need a file path, e.g. sqlite://./data/thredops.db".into());
        }
        return Ok(DatabaseTarget::Sqlite(PathBuf::from(path)));
    }
    if v.starts_with("postgres://") || v.starts_with("postgresql://") {
        Url::parse(v).map_err(|_| "not a valid postgres:// URL".to_owned())?;
        return Ok(DatabaseTarget::Postgres(Secret::new(v)));
    }
    let scheme = v.split(':').next().unwrap_or_default();
    Err(format!(
        "unsupported scheme {scheme:?}: use sqlite://PATH or postgres://USER@HOST/DB"
    ))
}

fn read_file(path: &Path) -> Result<Vec<(&'static str, String)>, ConfigError> {
    let file_err = |reason: String| ConfigError::File {
        path: path.to_owned(),
        reason,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(e.to_string()))?;
    let table: toml::Table = text
        .parse()
        .map_err(|e: toml::de::Error| file_err(e.to_string()))?;
    let mut out = Vec::new();
    for (key, value) in table {
        let spec =
            registry::find(&key).ok_or_else(|| file_err(format!("unknown setting `{key}`")))?;
        let value = match value {
            toml::Value::String(s) => s,
            toml::Value::Integer(i) => i.to_string(),
            toml::Value::Boolean(b) => b.to_string(),
            other => {
                return Err(file_err(format!(
                    "`{key}` must be a string, number or boolean, got {}",
                    other.type_str()
                )));
            }
        };
        out.push((spec.key, value));
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
