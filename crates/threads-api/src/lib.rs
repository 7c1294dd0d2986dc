//! Typed async client for Meta's Threads Graph API (`graph.threads.net`).
//!
//! - [`ThreadsClient`] holds the HTTP pool, base URLs, timeouts, [`RetryPolicy`] and a call
//!   counter ([`ThreadsClient::calls_made`]), and the last `X-App-Usage` Meta reported
//!   ([`ThreadsClient::app_usage`]). It runs the OAuth token calls.
//! - [`Session`] binds a client to one user's [`AccessToken`] for reads, insights and publishing.
//! - [`ContainerBuilder`] checks every documented limit before a post is sent.
//! - [`Error::class`] tells the caller what to do: retry later, re-authorise, wait for a
//!   container, wait for quota, fix permissions, or fix the request.
//!
//! ```no_run
//! use futures_util::TryStreamExt;
//! use threads_api::{AccessToken, ListQuery, ThreadsClient};
//!
//! # async fn run() -> Result<(), threads_api::Error> {
//! let client = ThreadsClient::builder().graph_base("http://127.0.0.1:8081").build()?;
//! let me = client.session(AccessToken::new("TH..."));
//! let profile = me.profile().await?;
//! let posts: Vec<_> = me.posts(&ListQuery::new().limit(100)).try_collect().await?;
//! println!("{:?} has {} posts; {} calls made", profile.username, posts.len(), client.calls_made());
//! # Ok(()) }
//! ```
#![warn(missing_docs)]

pub mod auth;
mod client;
mod config;
mod container;
pub mod endpoints;
mod error;
mod ids;
mod lenient;
pub mod models;
mod paging;
pub mod retry;
mod secret;
mod session;
pub mod time;
mod usage;
pub mod validation;

pub use auth::{
    AppCredentials, AuthorizeCallback, AuthorizeRequest, CallbackError, LongLivedToken, Scope,
    ShortLivedToken,
};
pub use client::ThreadsClient;
pub use config::{
    ClientBuilder, ClientConfig, DEFAULT_API_VERSION, DEFAULT_AUTHORIZE_BASE, DEFAULT_GRAPH_BASE,
};
pub use container::{Container, ContainerBuilder};
pub use endpoints::insights::{UserInsightsQuery, UserMetric};
pub use endpoints::locations::LocationQuery;
pub use endpoints::search::{KeywordSearchQuery, SearchMediaType, SearchMode, SearchType};
pub use error::{ApiError, Error, ErrorClass, Result, TransportError, TransportKind};
pub use ids::{ContainerId, LocationId, MediaId, UserId};
pub use models::*;
pub use paging::{Cursors, ItemStream, ListQuery, Page, PageStream, Paging};
pub use retry::{Idempotency, RetryPolicy};
pub use secret::{AccessToken, ClientSecret, redact};
pub use session::Session;
pub use usage::AppUsage;
pub use validation::ValidationError;
