//! Client settings and the builder that checks them.

use std::time::Duration;

use url::Url;

use crate::client::ThreadsClient;
use crate::error::{Error, Result};
use crate::retry::RetryPolicy;

/// Meta's Graph API host.
pub const DEFAULT_GRAPH_BASE: &str = "https://graph.threads.net";
/// Host of the OAuth authorization window.
pub const DEFAULT_AUTHORIZE_BASE: &str = "https://threads.net";
/// The only Threads API version.
pub const DEFAULT_API_VERSION: &str = "v1.0";

/// Checked settings of a [`ThreadsClient`].
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Base of Graph API calls, e.g. `https://graph.threads.net` or a sandbox URL.
    pub graph_base: Url,
    /// Base of the authorization window, e.g. `https://threads.net`.
    pub authorize_base: Url,
    /// Path version prefix for Graph calls (`v1.0`); `None` sends unversioned paths.
    /// Token endpoints are always unversioned, as in Meta's docs.
    pub api_version: Option<String>,
    /// Limit for establishing a connection.
    pub connect_timeout: Duration,
    /// Limit for a whole attempt, from connect to the last body byte.
    pub request_timeout: Duration,
    /// Retry behaviour for transient failures.
    pub retry: RetryPolicy,
    /// `User-Agent` header value.
    pub user_agent: String,
}

/// Builds a [`ThreadsClient`]; every setting has a default that targets the real API.
///
/// ```
/// # fn main() -> Result<(), threads_api::Error> {
/// use std::time::Duration;
/// let client = threads_api::ThreadsClient::builder()
///     .graph_base("http://127.0.0.1:8081")
///     .authorize_base("http://127.0.0.1:8081")
///     .request_timeout(Duration::from_secs(10))
///     .retry(threads_api::RetryPolicy::fast_for_tests())
///     .build()?;
/// assert_eq!(client.calls_made(), 0);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct ClientBuilder {
    graph_base: String,
    authorize_base: String,
    api_version: Option<String>,
    connect_timeout: Duration,
    request_timeout: Duration,
    retry: RetryPolicy,
    user_agent: String,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        Self {
            graph_base: DEFAULT_GRAPH_BASE.to_owned(),
            authorize_base: DEFAULT_AUTHORIZE_BASE.to_owned(),
            api_version: Some(DEFAULT_API_VERSION.to_owned()),
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            user_agent: concat!("thredops-threads-api/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

impl ClientBuilder {
    /// Sets the Graph API base URL (scheme, host, optional port and path prefix).
    pub fn graph_base(mut self, url: impl Into<String>) -> Self {
        self.graph_base = url.into();
        self
    }

    /// Sets the authorization window base URL.
    pub fn authorize_base(mut self, url: impl Into<String>) -> Self {
        self.authorize_base = url.into();
        self
    }

    /// Sets the version path prefix; `None` for unversioned paths.
    pub fn api_version(mut self, version: Option<&str>) -> Self {
        self.api_version = version.map(str::to_owned);
        self
    }

    /// Sets the connect timeout.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets the per-attempt total timeout.
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// Sets the retry policy.
    pub fn retry(mut self, policy: RetryPolicy) -> Self {
        self.retry = policy;
        self
    }

    /// Sets the `User-Agent` header.
    pub fn user_agent(mut self, agent: impl Into<String>) -> Self {
        self.user_agent = agent.into();
        self
    }

    /// Checks the settings and builds the client.
    pub fn build(self) -> Result<ThreadsClient> {
        let config = ClientConfig {
            graph_base: parse_base("graph_base", &self.graph_base)?,
            authorize_base: parse_base("authorize_base", &self.authorize_base)?,
            api_version: self.api_version.filter(|v| !v.is_empty()),
            connect_timeout: self.connect_timeout,
            request_timeout: self.request_timeout,
            retry: self.retry,
            user_agent: self.user_agent,
        };
        if config.retry.max_attempts == 0 {
            return Err(Error::Config(
                "retry.max_attempts must be at least 1".into(),
            ));
        }
        ThreadsClient::from_config(config)
    }
}

/// Refuses anything but an absolute http(s) URL without query or fragment, so a typo cannot
/// silently send tokens somewhere odd.
fn parse_base(name: &str, raw: &str) -> Result<Url> {
    let url = Url::parse(raw).map_err(|e| Error::Config(format!("{name} {raw:?}: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(Error::Config(format!(
            "{name} must be an http(s) URL, got {raw:?}"
        )));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(Error::Config(format!(
            "{name} must not have a query or fragment"
        )));
    }
    Ok(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_base_urls_are_refused() {
        assert!(matches!(
            ClientBuilder::default().graph_base("ftp://x").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            ClientBuilder::default().authorize_base("nope").build(),
            Err(Error::Config(_))
        ));
        assert!(matches!(
            ClientBuilder::default().graph_base("http://h/?a=1").build(),
            Err(Error::Config(_))
        ));
    }

    #[test]
    fn defaults_target_the_real_api() {
        let client = ClientBuilder::default().build().unwrap();
        assert_eq!(
            client.config().graph_base.as_str(),
            "https://graph.threads.net/"
        );
        assert_eq!(
            client.config().authorize_base.as_str(),
            "https://threads.net/"
        );
        assert_eq!(client.config().api_version.as_deref(), Some("v1.0"));
    }
}
