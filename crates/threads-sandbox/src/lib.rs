//! Offline simulator of Meta's Threads Graph API.
//!
//! A [`Sandbox`] holds a deterministic synthetic world (creators with years of posts,
//! engagement that grows with a controllable clock), issues OAuth codes and tokens, enforces
//! the documented publishing rules and quotas, and can inject faults. [`Sandbox::router`]
//! returns an axum `Router` that can be served alone or mounted under a prefix:
//!
//! ```no_run
//! # async fn demo() {
//! use threads_sandbox::{Sandbox, SandboxConfig};
//! let sandbox = Sandbox::new(SandboxConfig::default());
//! let app = axum::Router::new().nest("/sandbox", sandbox.router());
//! let token = sandbox.mint_token(sandbox.creators()[0].user_id, &["threads_basic"]);
//! # let _ = (app, token);
//! # }
//! ```

pub mod budget;
pub mod clock;
pub mod config;
pub mod errors;
pub mod faults;
pub mod ids;
pub mod params;
pub mod public;
mod routes;
pub mod strtotime;
pub mod tokens;
pub mod usage;
pub mod webhooks;
pub mod world;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use clock::SandboxClock;
pub use config::SandboxConfig;
pub use faults::{FaultConfig, FaultRule};
pub use tokens::TokenKind;
pub use world::traits::CreatorTraits;

use budget::Budget;
use errors::{ApiError, ApiResult};
use faults::FaultState;
use params::Params;
use public::PublicWorld;
use public::quota::QuotaLog;
use tokens::{TokenInfo, TokenStore};
use world::World;

/// The simulator. Cheap to clone: everything lives behind one `Arc`.
#[derive(Clone)]
pub struct Sandbox {
    inner: Arc<Inner>,
}

struct Inner {
    config: SandboxConfig,
    start: DateTime<Utc>,
    clock: SandboxClock,
    world: RwLock<World>,
    /// The default creators are still to be generated: that happens on the world's first use,
    /// so a process that never calls the sandbox does not hold their years of posts.
    defaults_pending: AtomicBool,
    tokens: Mutex<TokenStore>,
    budget: Mutex<Budget>,
    faults: Mutex<FaultState>,
    base_url: RwLock<Option<String>>,
    /// Other people's public profiles, built on first use (see [`public`]).
    public: Mutex<Option<Arc<PublicWorld>>>,
    /// Keyword-search, profile-discovery and location-search usage.
    discovery_quota: Mutex<QuotaLog>,
    /// Sandbox time up to which webhook events have been delivered; `None` means the start.
    webhook_cursor: Mutex<Option<i64>>,
}

/// A creator as listed by [`Sandbox::creators`] and the admin API.
#[derive(Debug, Clone, Serialize)]
pub struct CreatorSummary {
    /// Threads user id.
    pub user_id: u64,
    /// The same id as a string, as Graph returns ids.
    pub id: String,
    /// Handle.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Followers now.
    pub followers_count: u64,
    /// Top-level posts (including reposts) visible now.
    pub posts_count: usize,
}

/// One of the other people's public profiles, as listed by [`Sandbox::public_profiles`]:
/// the ground truth for the discovery endpoints. These are never creators.
#[derive(Debug, Clone, Serialize)]
pub struct PublicProfileSummary {
    /// Threads user id.
    pub user_id: u64,
    /// Handle.
    pub username: String,
    /// Followers (fixed).
    pub followers_count: u64,
    /// Aged 18 or over.
    pub adult: bool,
    /// Whether `/profile_lookup` finds it (adult with 1,000+ followers).
    pub discoverable: bool,
    /// Posts published by now.
    pub posts_count: usize,
}

/// A public post as tests see it (the ground truth behind search and profile posts).
#[derive(Debug, Clone, Serialize)]
pub struct PublicPostSummary {
    /// Media id.
    pub id: u64,
    /// Author's handle.
    pub username: String,
    /// Publication time (Unix seconds).
    pub ts: i64,
    /// Read-side media type.
    pub media_type: String,
    /// Text.
    pub text: String,
    /// Topic tag, without `#`.
    pub topic_tag: Option<String>,
}

/// Who a request acts for.
#[derive(Debug, Clone)]
pub(crate) struct Caller {
    pub token: TokenInfo,
    pub creator: usize,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Sandbox {
    /// Builds a sandbox (and its default creators) from `config`.
    pub fn new(config: SandboxConfig) -> Self {
        let clock = SandboxClock::new(config.start_time, config.frozen_clock);
        let start = clock.now();
        Self {
            inner: Arc::new(Inner {
                faults: Mutex::new(FaultState::new(config.faults.clone())),
                base_url: RwLock::new(config.public_base_url.clone()),
                world: RwLock::new(Self::empty_world(&config)),
                defaults_pending: AtomicBool::new(config.default_creators),
                tokens: Mutex::new(TokenStore::new(config.seed, &config.app_secret)),
                budget: Mutex::default(),
                public: Mutex::default(),
                discovery_quota: Mutex::default(),
                webhook_cursor: Mutex::default(),
                clock,
                start,
                config,
            }),
        }
    }

    fn empty_world(config: &SandboxConfig) -> World {
        World {
            seed: config.seed,
            ..World::default()
        }
    }

    /// Generates the default creators into `world` if they are still pending.
    fn add_pending_defaults(&self, world: &mut World) {
        if !self.inner.defaults_pending.swap(false, Ordering::AcqRel) {
            return;
        }
        // Anchor history on the hour so sandboxes built moments apart agree.
        let start = self.inner.start.timestamp();
        let anchor = start - start.rem_euclid(3_600);
        for i in 0..world::generate::DEFAULT_FOLLOWERS.len() {
            let _ = world.add_creator(world::generate::default_traits(i), anchor);
        }
    }

    /// The axum router with all endpoints (Graph, OAuth and `/_sandbox` admin).
    pub fn router(&self) -> axum::Router {
        routes::router(self.clone())
    }

    /// The sandbox clock.
    pub fn clock(&self) -> &SandboxClock {
        &self.inner.clock
    }

    /// The configuration the sandbox was built with.
    pub fn config(&self) -> &SandboxConfig {
        &self.inner.config
    }

    /// Sets the public base URL (e.g. after binding to port 0), including any mount prefix.
    pub fn set_public_base_url(&self, url: impl Into<String>) {
        let url: String = url.into();
        *self
            .inner
            .base_url
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(url.trim_end_matches('/').to_owned());
    }

    /// The base URL for generated links: configured, or derived from the request.
    pub(crate) fn base_url(&self, params: &Params) -> String {
        self.inner
            .base_url
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
            .unwrap_or_else(|| params.request_base.clone())
    }

    /// Issues a long-lived token for `user_id` with `scopes`, skipping consent.
    pub fn mint_token(&self, user_id: u64, scopes: &[&str]) -> String {
        let scopes = scopes.iter().map(|s| (*s).to_owned()).collect();
        self.mint(user_id, scopes, TokenKind::Long).0
    }

    pub(crate) fn mint(
        &self,
        user_id: u64,
        scopes: Vec<String>,
        kind: TokenKind,
    ) -> (String, TokenInfo) {
        lock(&self.inner.tokens).mint(user_id, scopes, kind, self.clock().now())
    }

    /// All creators with their current follower and post counts.
    pub fn creators(&self) -> Vec<CreatorSummary> {
        let now = self.clock().now_ts();
        let world = self.world();
        world
            .creators
            .iter()
            .map(|c| CreatorSummary {
                user_id: c.user_id,
                id: c.user_id.to_string(),
                username: c.username.clone(),
                name: c.name.clone(),
                followers_count: c.followers_at(now),
                posts_count: c.posts[..c.visible_end(now)]
                    .iter()
                    .filter(|p| !p.deleted)
                    .count(),
            })
            .collect()
    }

    /// Other people's public profiles (behind keyword search, mentions and profile discovery),
    /// kept apart from [`Self::creators`].
    pub fn public_profiles(&self) -> Vec<PublicProfileSummary> {
        let now = self.clock().now_ts();
        self.public_world()
            .profiles
            .iter()
            .map(|p| PublicProfileSummary {
                user_id: p.user_id,
                username: p.username.clone(),
                followers_count: p.followers,
                adult: p.adult,
                discoverable: p.is_discoverable(),
                posts_count: p.posts.iter().filter(|x| x.ts <= now).count(),
            })
            .collect()
    }

    /// Every public post published by now, oldest first per profile.
    pub fn public_posts(&self) -> Vec<PublicPostSummary> {
        let now = self.clock().now_ts();
        self.public_world()
            .posts_at(now)
            .map(|(a, p)| PublicPostSummary {
                id: p.id,
                username: a.username.clone(),
                ts: p.ts,
                media_type: p.media_type.to_owned(),
                text: p.text.clone(),
                topic_tag: p.topic_tag.clone(),
            })
            .collect()
    }

    /// Creates a creator with the given traits; history ends at the current sandbox time.
    pub fn create_creator(&self, traits: CreatorTraits) -> Result<CreatorSummary, String> {
        let now = self.clock().now_ts();
        let index = self.world_mut().add_creator(traits, now)?;
        Ok(self.creators().swap_remove(index))
    }

    /// Counts `n` replies against `user_id`'s 24-hour reply quota now, as replies published by
    /// other apps would (§6.2: 1,000 per 24 h), so a client's quota handling can be tested
    /// without publishing a thousand replies. Returns false for an unknown user.
    pub fn use_reply_quota(&self, user_id: u64, n: usize) -> bool {
        let now = self.clock().now_ts();
        let mut world = self.world_mut();
        let Some(c) = world.creators.iter_mut().find(|c| c.user_id == user_id) else {
            return false;
        };
        c.quota_log.replies.extend(std::iter::repeat_n(now, n));
        true
    }

    /// Replaces the fault settings (and reseeds the fault RNG).
    pub fn set_faults(&self, faults: FaultConfig) {
        *self.faults_lock() = FaultState::new(faults);
    }

    /// Current fault settings.
    pub fn faults(&self) -> FaultConfig {
        self.faults_lock().config.clone()
    }

    /// Back to the initial state: fresh world, no tokens, original faults, clock at start.
    pub fn reset(&self) {
        let cfg = &self.inner.config;
        self.clock().reset(self.inner.start, cfg.frozen_clock);
        let mut world = self.write_world();
        *world = Self::empty_world(cfg);
        self.inner
            .defaults_pending
            .store(cfg.default_creators, Ordering::Release);
        drop(world);
        *lock(&self.inner.tokens) =
            TokenStore::new(self.inner.config.seed, &self.inner.config.app_secret);
        lock(&self.inner.budget).clear();
        *lock(&self.inner.public) = None;
        lock(&self.inner.discovery_quota).clear();
        *lock(&self.inner.webhook_cursor) = None;
        self.set_faults(cfg.faults.clone());
    }

    /// The public profiles and posts. Built on first use from the seed, with history ending
    /// at the same hour-anchored start as the default creators, and mentioning the default
    /// creators (or, in a sandbox without them, the creators that exist then), so equal
    /// seeds agree.
    pub(crate) fn public_world(&self) -> Arc<PublicWorld> {
        let mut slot = lock(&self.inner.public);
        if let Some(w) = slot.as_ref() {
            return w.clone();
        }
        // With default creators only they are mentioned, so creators added through the API
        // before or after the first discovery call never change the answers.
        let mentionable = if self.inner.config.default_creators {
            world::generate::DEFAULT_FOLLOWERS.len()
        } else {
            usize::MAX
        };
        let usernames: Vec<String> = self
            .world()
            .creators
            .iter()
            .take(mentionable)
            .map(|c| c.username.clone())
            .collect();
        let start = self.inner.start.timestamp();
        let anchor = start - start.rem_euclid(3_600);
        let w = Arc::new(public::generate::public_world(
            self.inner.config.seed,
            &usernames,
            anchor,
        ));
        *slot = Some(w.clone());
        w
    }

    /// Where the next webhook run starts: after the last delivered instant, or at the start.
    pub(crate) fn webhook_cursor(&self, now: i64) -> i64 {
        lock(&self.inner.webhook_cursor).unwrap_or_else(|| self.inner.start.timestamp().min(now))
    }

    pub(crate) fn set_webhook_cursor(&self, to: i64) {
        *lock(&self.inner.webhook_cursor) = Some(to);
    }

    pub(crate) fn discovery_quota(&self) -> MutexGuard<'_, QuotaLog> {
        lock(&self.inner.discovery_quota)
    }

    pub(crate) fn faults_lock(&self) -> MutexGuard<'_, FaultState> {
        lock(&self.inner.faults)
    }

    pub(crate) fn tokens(&self) -> MutexGuard<'_, TokenStore> {
        lock(&self.inner.tokens)
    }

    pub(crate) fn world(&self) -> RwLockReadGuard<'_, World> {
        if self.inner.defaults_pending.load(Ordering::Acquire) {
            // The flag is cleared under the write lock, so a reader that sees it cleared waits
            // on the lock until the defaults are in.
            drop(self.world_mut());
        }
        self.inner
            .world
            .read()
            .unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn world_mut(&self) -> RwLockWriteGuard<'_, World> {
        let mut world = self.write_world();
        self.add_pending_defaults(&mut world);
        world
    }

    fn write_world(&self) -> RwLockWriteGuard<'_, World> {
        self.inner
            .world
            .write()
            .unwrap_or_else(PoisonError::into_inner)
    }

    /// Authenticates a Graph call: validates the token, counts it against the call budget
    /// and checks `scope` (every call also needs `threads_basic`).
    pub(crate) fn authorize(&self, params: &Params, scope: &str) -> ApiResult<Caller> {
        let token = params.token().ok_or_else(ApiError::no_token)?;
        let now = self.clock().now();
        let info = self.tokens().validate(token, now)?;
        let creator = *self
            .world()
            .by_user
            .get(&info.user_id)
            .ok_or_else(ApiError::revoked_token)?;
        let rl = &self.inner.config.rate_limit;
        if rl.enabled {
            let ts = now.timestamp();
            let recorded =
                lock(&self.inner.budget).record(info.user_id, ts, rl.calls_per_impression, || {
                    self.world().creators[creator].views_between(ts - 86_400, ts)
                });
            // A throttled answer carries the headers too: they say how long to back off.
            if rl.emit_app_usage {
                params.usage.set(recorded.unwrap_or_else(|t| t.usage));
            }
            recorded?;
        }
        info.require("threads_basic")?;
        info.require(scope)?;
        Ok(Caller {
            token: info,
            creator,
        })
    }
}
