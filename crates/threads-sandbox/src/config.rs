//! Sandbox configuration: every knob has a default so `SandboxConfig::default()` just works.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::faults::FaultConfig;

/// Everything a [`crate::Sandbox`] needs to start. Deserialisable from TOML or JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SandboxConfig {
    /// Seed of the synthetic world; the same seed (and `start_time`) gives the same data.
    pub seed: u64,
    /// Public base URL the sandbox is reachable at, including any mount prefix
    /// (e.g. `http://127.0.0.1:8080/sandbox`). Used for `paging.next` and similar URLs.
    /// When unset, it is derived per request from the `Host` header and the mount prefix.
    pub public_base_url: Option<String>,
    /// The Threads app id accepted as `client_id`.
    pub app_id: String,
    /// The app secret accepted as `client_secret`.
    pub app_secret: String,
    /// Allowed OAuth redirect URIs; empty means any URI is accepted.
    pub redirect_uris: Vec<String>,
    /// Simulated start instant of the clock; `None` starts at the real current time.
    pub start_time: Option<DateTime<Utc>>,
    /// When true the clock only moves when advanced explicitly (handy for exact tests).
    pub frozen_clock: bool,
    /// Whether to generate the default set of synthetic creators.
    pub default_creators: bool,
    /// How long containers take to process, in sandbox-clock time.
    pub processing: ProcessingConfig,
    /// The per (app, user) call budget.
    pub rate_limit: RateLimitConfig,
    /// Injected faults and simulated latency.
    pub faults: FaultConfig,
    /// Callback URL for reply and mention webhooks (§8.1); `None` sends none.
    pub webhook_url: Option<String>,
}

impl Default for SandboxConfig {
    fn default() -> Self {
        Self {
            seed: 42,
            public_base_url: None,
            app_id: "sandbox-app".to_owned(),
            app_secret: "sandbox-secret".to_owned(),
            redirect_uris: Vec::new(),
            start_time: None,
            frozen_clock: false,
            default_creators: true,
            processing: ProcessingConfig::default(),
            rate_limit: RateLimitConfig::default(),
            faults: FaultConfig::default(),
            webhook_url: None,
        }
    }
}

/// Container processing delays (milliseconds of sandbox-clock time).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ProcessingConfig {
    /// Delay before a TEXT container is FINISHED.
    pub text_ms: u64,
    /// Delay before an IMAGE container (or carousel item) is FINISHED.
    pub image_ms: u64,
    /// Delay before a VIDEO container is FINISHED.
    pub video_ms: u64,
}

impl Default for ProcessingConfig {
    fn default() -> Self {
        Self {
            text_ms: 1_000,
            image_ms: 5_000,
            video_ms: 5_000,
        }
    }
}

/// The Graph call budget: `calls_per_impression × max(10, impressions in 24 h)` per (app, user).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether the budget is enforced at all.
    pub enabled: bool,
    /// Calls allowed per impression (Meta uses 4800); tests lower it to hit the limit quickly.
    pub calls_per_impression: u64,
    /// Emit the Graph-generic `X-App-Usage` header on authenticated responses.
    pub emit_app_usage: bool,
}

impl Default for RateLimitConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            calls_per_impression: 4_800,
            emit_app_usage: true,
        }
    }
}

/// Errors loading a configuration file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The TOML text did not parse.
    #[error("invalid TOML sandbox config: {0}")]
    Toml(#[from] toml::de::Error),
    /// The JSON text did not parse.
    #[error("invalid JSON sandbox config: {0}")]
    Json(#[from] serde_json::Error),
}

impl SandboxConfig {
    /// Parses a TOML document.
    pub fn from_toml_str(text: &str) -> Result<Self, ConfigError> {
        Ok(toml::from_str(text)?)
    }

    /// Parses a JSON document.
    pub fn from_json_str(text: &str) -> Result<Self, ConfigError> {
        Ok(serde_json::from_str(text)?)
    }
}
