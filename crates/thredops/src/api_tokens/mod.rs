//! Personal API tokens: scoped, hashed at rest, shown once, revocable, with their last use.
//!
//! A token stands for its owner on the JSON API (`Authorization: Bearer thr_...`), limited to
//! the scopes chosen when it was made. Only a SHA-256 hash of the secret is stored: the secret
//! has 256 bits of entropy, so a fast hash is as safe as a slow one and keeps the check cheap.
//! Account routes (sign-in, password, sessions, deletion, billing, support, the tokens
//! themselves) take a signed-in browser session only: a leaked token cannot take the account.

mod store;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::app::AppState;
use crate::auth::CurrentUser;
use crate::clock::now_unix;
use crate::domain::{UserId, WorkspaceId};
use crate::error::{AppError, AppResult};
use crate::store::users::UserRecord;
use store::NewToken;

/// Every secret starts with this, so a token pasted somewhere it should not be is recognisable.
pub const SECRET_PREFIX: &str = "thr_";
/// Most live tokens one account may hold.
pub const MAX_LIVE: i64 = 20;
/// Longest lifetime a token may be given, in days (no expiry is also allowed).
pub const MAX_DAYS: u32 = 365;
/// Last use is written at most this often per token, so reads stay reads.
const TOUCH_EVERY_SECS: i64 = 60;

crate::domain::id_type!(
    /// A token's id (not its secret).
    TokenId
);

/// What a token may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum Scope {
    /// Read connected profiles and their sync state.
    #[serde(rename = "profiles:read")]
    ProfilesRead,
    /// Read analytics.
    #[serde(rename = "analytics:read")]
    AnalyticsRead,
    /// Read planned and published posts, slots and feeds.
    #[serde(rename = "posts:read")]
    PostsRead,
    /// Create, edit, schedule, cancel and delete posts; upload media.
    #[serde(rename = "posts:write")]
    PostsWrite,
    /// Read the Strategist's findings, plan and audits.
    #[serde(rename = "strategy:read")]
    StrategyRead,
    /// Read webhook endpoints and their delivery log.
    #[serde(rename = "webhooks:read")]
    WebhooksRead,
    /// Add, change and remove webhook endpoints, rotate their secrets, replay deliveries.
    #[serde(rename = "webhooks:write")]
    WebhooksWrite,
}

impl Scope {
    /// Every scope, in the order forms list them.
    pub const ALL: [Scope; 7] = [
        Scope::ProfilesRead,
        Scope::AnalyticsRead,
        Scope::PostsRead,
        Scope::PostsWrite,
        Scope::StrategyRead,
        Scope::WebhooksRead,
        Scope::WebhooksWrite,
    ];

    /// The scope's name in the API and the database.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::ProfilesRead => "profiles:read",
            Scope::AnalyticsRead => "analytics:read",
            Scope::PostsRead => "posts:read",
            Scope::PostsWrite => "posts:write",
            Scope::StrategyRead => "strategy:read",
            Scope::WebhooksRead => "webhooks:read",
            Scope::WebhooksWrite => "webhooks:write",
        }
    }

    /// Parses a scope name.
    pub fn parse(s: &str) -> Option<Scope> {
        Scope::ALL.into_iter().find(|x| x.as_str() == s.trim())
    }

    /// What the scope allows, in words.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::ProfilesRead => "Read your connected profiles and their sync state",
            Scope::AnalyticsRead => "Read analytics of your profiles",
            Scope::PostsRead => "Read your planned and published posts, slots and feeds",
            Scope::PostsWrite => "Write, schedule, cancel and delete posts; upload media",
            Scope::StrategyRead => "Read the Strategist's findings, plan and audits",
            Scope::WebhooksRead => "Read your webhook endpoints and their delivery log",
            Scope::WebhooksWrite => {
                "Add, change and remove webhook endpoints (which receive your events), rotate their secrets, replay deliveries"
            }
        }
    }

    /// The refusal when a token lacks this scope.
    fn missing(self) -> &'static str {
        match self {
            Scope::ProfilesRead => "This API token does not have the profiles:read scope.",
            Scope::AnalyticsRead => "This API token does not have the analytics:read scope.",
            Scope::PostsRead => "This API token does not have the posts:read scope.",
            Scope::PostsWrite => "This API token does not have the posts:write scope.",
            Scope::StrategyRead => "This API token does not have the strategy:read scope.",
            Scope::WebhooksRead => "This API token does not have the webhooks:read scope.",
            Scope::WebhooksWrite => "This API token does not have the webhooks:write scope.",
        }
    }
}

/// A stored token, without its secret.
#[derive(Debug, Clone, Serialize)]
pub struct ApiToken {
    /// Id.
    pub id: TokenId,
    /// Owner.
    #[serde(skip)]
    pub user_id: UserId,
    /// The name its owner gave it.
    pub name: String,
    /// The secret's first characters, to tell tokens apart.
    pub prefix: String,
    /// What it may do.
    pub scopes: Vec<Scope>,
    /// When it was made (Unix seconds).
    pub created_at: i64,
    /// When it stops working, if ever.
    pub expires_at: Option<i64>,
    /// When it was last used (to the minute).
    pub last_used_at: Option<i64>,
    /// When it was revoked.
    pub revoked_at: Option<i64>,
    /// The workspace it acts in, with its owner's role there; `None` is the owner's own.
    pub workspace_id: Option<WorkspaceId>,
}

impl ApiToken {
    /// Whether the token is still accepted at `now`.
    pub fn is_live(&self, now: i64) -> bool {
        self.revoked_at.is_none() && self.expires_at.is_none_or(|e| e > now)
    }

    /// Whether it carries `scope`.
    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes.contains(&scope)
    }
}

/// A token just made, with the secret shown this once.
#[derive(Debug, Clone, Serialize)]
pub struct Created {
    /// The token.
    #[serde(flatten)]
    pub token: ApiToken,
    /// The secret: shown once, never stored.
    pub secret: String,
}

/// Requests one token may make: a burst of [`BURST`], then one every [`EVERY`] (300 a minute),
/// kept per instance like the sign-in throttle.
pub const BURST: u32 = 60;
/// See [`BURST`].
pub const EVERY: std::time::Duration = std::time::Duration::from_millis(200);

/// The per-token request budget.
#[derive(Debug)]
pub struct Limiter(governor::DefaultKeyedRateLimiter<TokenId>);

impl Default for Limiter {
    fn default() -> Self {
        Limiter(governor::RateLimiter::keyed(crate::auth::throttle::quota(
            BURST, EVERY,
        )))
    }
}

impl Limiter {
    /// Spends one request of `token`'s budget, or says how long until the next is allowed.
    pub fn check(&self, token: &ApiToken) -> AppResult<()> {
        use governor::clock::{Clock, DefaultClock};
        self.0.check_key(&token.id).map_err(|not_until| {
            AppError::RateLimited(not_until.wait_time_from(DefaultClock::default().now()))
        })
    }
}

/// What a new token is asked to be.
#[derive(Debug, Clone, Default)]
pub struct NewTokenInput {
    /// A name to recognise it by.
    pub name: String,
    /// Scope names.
    pub scopes: Vec<String>,
    /// Lifetime in days; `None` for no expiry.
    pub expires_in_days: Option<u32>,
}

fn hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// Makes a token for the signed-in user; its secret is in the answer and nowhere else.
pub async fn create(
    state: &AppState,
    user: &CurrentUser,
    input: &NewTokenInput,
) -> AppResult<Created> {
    let mut fields = std::collections::BTreeMap::new();
    let name = input.name.trim();
    if name.is_empty() || name.chars().count() > 60 {
        fields.insert(
            "name".to_owned(),
            "Give the token a name of 1 to 60 characters, e.g. \"Reporting script\".".to_owned(),
        );
    }
    let mut scopes = Vec::new();
    for s in &input.scopes {
        match Scope::parse(s) {
            Some(scope) if !scopes.contains(&scope) => scopes.push(scope),
            Some(_) => {}
            None => {
                fields.insert(
                    "scopes".to_owned(),
                    format!(
                        "Unknown scope \"{s}\". Choose from: {}.",
                        Scope::ALL.map(Scope::as_str).join(", ")
                    ),
                );
            }
        }
    }
    if scopes.is_empty() && !fields.contains_key("scopes") {
        fields.insert(
            "scopes".to_owned(),
            "Choose at least one thing the token may do.".to_owned(),
        );
    }
    if let Some(days) = input.expires_in_days
        && !(1..=MAX_DAYS).contains(&days)
    {
        fields.insert(
            "expires_in_days".to_owned(),
            format!("A token can last 1 to {MAX_DAYS} days, or leave it without expiry."),
        );
    }
    if !fields.is_empty() {
        return Err(AppError::Validation {
            message: "The token was not made; see the fields below.".to_owned(),
            fields,
        });
    }
    let now = now_unix();
    if state.store.live_api_tokens(&user.user.id, now).await? >= MAX_LIVE {
        return Err(AppError::Conflict(format!(
            "An account can hold {MAX_LIVE} live API tokens. Revoke one you no longer use first."
        )));
    }
    let secret = format!("{SECRET_PREFIX}{}", crate::crypto::random_token(32));
    let token = ApiToken {
        id: TokenId::new(uuid::Uuid::new_v4().to_string()),
        user_id: user.user.id.clone(),
        name: name.to_owned(),
        prefix: secret.chars().take(SECRET_PREFIX.len() + 6).collect(),
        scopes,
        created_at: now,
        expires_at: input.expires_in_days.map(|d| now + i64::from(d) * 86_400),
        last_used_at: None,
        revoked_at: None,
        workspace_id: (!user.workspace.is_own(&user.user)).then(|| user.workspace.id.clone()),
    };
    state
        .store
        .insert_api_token(NewToken {
            token: &token,
            token_hash: &hash(&secret),
        })
        .await?;
    Ok(Created { token, secret })
}

/// The user's tokens, newest first, revoked ones included (they show as revoked).
pub async fn list(state: &AppState, user: &CurrentUser) -> AppResult<Vec<ApiToken>> {
    Ok(state.store.api_tokens_of(&user.user.id).await?)
}

/// Revokes one of the user's tokens at once; 404 for anyone else's or an already revoked one.
pub async fn revoke(state: &AppState, user: &CurrentUser, id: &TokenId) -> AppResult<()> {
    match state
        .store
        .revoke_api_token(&user.user.id, id, now_unix())
        .await?
    {
        true => Ok(()),
        false => Err(AppError::NotFound),
    }
}

/// The owner and the token a bearer secret stands for, if it is live; a revoked, expired or
/// unknown secret is refused (401), never treated as anonymous.
pub async fn authenticate(state: &AppState, secret: &str) -> AppResult<(UserRecord, ApiToken)> {
    if !secret.starts_with(SECRET_PREFIX) {
        return Err(AppError::Unauthorized);
    }
    let token = state
        .store
        .api_token_by_hash(&hash(secret))
        .await?
        .ok_or(AppError::Unauthorized)?;
    let now = now_unix();
    if !token.is_live(now) {
        return Err(AppError::Unauthorized);
    }
    let user = state
        .store
        .user_by_id(&token.user_id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    if token
        .last_used_at
        .is_none_or(|t| now - t >= TOUCH_EVERY_SECS)
    {
        state.store.touch_api_token(&token.id, now).await?;
        // Use through a token keeps the account out of the inactivity purge, as a session does.
        state.store.touch_user(&user.id, now).await?;
    }
    Ok((user, token))
}

/// The MCP endpoint. No one scope covers it: a live token may open it (within its request
/// budget), and each tool call then needs the scope of the API operation it stands for
/// ([`require`]).
pub const MCP_PATH: &str = "/mcp";

/// The scope an API request needs when made with a token, or `None` when tokens may not make
/// it at all (account, billing, support and token routes take a browser session only; the MCP
/// endpoint checks a scope per tool call instead, see [`authorize`]).
/// Decided from the method and path so that a new route is closed to tokens until listed here.
pub fn required_scope(method: &str, path: &str) -> Option<Scope> {
    let read = matches!(method, "GET" | "HEAD");
    let rest = path.strip_prefix("/api/v1/")?;
    let segments: Vec<&str> = rest.split('/').collect();
    match segments.as_slice() {
        ["me"] if read => Some(Scope::ProfilesRead),
        ["profiles"] if read => Some(Scope::ProfilesRead),
        ["profiles", _] if read => Some(Scope::ProfilesRead),
        ["profiles", _, "analytics", ..] if read => Some(Scope::AnalyticsRead),
        ["profiles", _, "suggested-times"] if read => Some(Scope::PostsRead),
        ["profiles", _, "strategy" | "audits", ..] if read => Some(Scope::StrategyRead),
        ["audits", _] if read => Some(Scope::StrategyRead),
        ["publishing", ..] if read => Some(Scope::PostsRead),
        ["publishing", ..] => Some(Scope::PostsWrite),
        ["webhooks", ..] if read => Some(Scope::WebhooksRead),
        ["webhooks", ..] => Some(Scope::WebhooksWrite),
        _ => None,
    }
}

/// Checks that `token` may make this request.
pub fn authorize(token: &ApiToken, method: &str, path: &str) -> AppResult<()> {
    if method == "POST" && path == MCP_PATH {
        // Every tool call checks its own scope.
        return Ok(());
    }
    match required_scope(method, path) {
        Some(scope) if token.allows(scope) => Ok(()),
        Some(scope) => Err(AppError::Forbidden(scope.missing())),
        None => Err(AppError::Forbidden(
            "API tokens cannot be used here; sign in to ThredOps in a browser for account, billing, support and token settings.",
        )),
    }
}

/// Checks that `token` carries `scope`, for operations that check their scope themselves (the
/// MCP tools); the refusal names the missing scope.
pub fn require(token: &ApiToken, scope: Scope) -> AppResult<()> {
    if token.allows(scope) {
        Ok(())
    } else {
        Err(AppError::Forbidden(scope.missing()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_map_to_the_narrowest_scope_and_account_routes_to_none() {
        let cases = [
            (
                "GET",
                "/api/v1/profiles/p1/analytics/overview",
                Some(Scope::AnalyticsRead),
            ),
            ("GET", "/api/v1/publishing/posts", Some(Scope::PostsRead)),
            ("POST", "/api/v1/publishing/posts", Some(Scope::PostsWrite)),
            (
                "DELETE",
                "/api/v1/publishing/posts/x",
                Some(Scope::PostsWrite),
            ),
            (
                "GET",
                "/api/v1/profiles/p1/strategy",
                Some(Scope::StrategyRead),
            ),
            ("POST", "/api/v1/profiles/p1/strategy/narrative", None),
            (
                "GET",
                "/api/v1/profiles/p1/audits",
                Some(Scope::StrategyRead),
            ),
            ("GET", "/api/v1/audits/a1", Some(Scope::StrategyRead)),
            ("GET", "/api/v1/tokens", None),
            ("GET", "/api/v1/webhooks", Some(Scope::WebhooksRead)),
            (
                "GET",
                "/api/v1/webhooks/e1/deliveries",
                Some(Scope::WebhooksRead),
            ),
            ("POST", "/api/v1/webhooks", Some(Scope::WebhooksWrite)),
            (
                "POST",
                "/api/v1/webhooks/deliveries/d1/replay",
                Some(Scope::WebhooksWrite),
            ),
            ("POST", "/api/v1/auth/logout", None),
            ("POST", "/api/v1/privacy/delete-account", None),
            ("GET", "/api/v1/billing", None),
            ("DELETE", "/api/v1/profiles/p1", None),
            // The MCP endpoint has no single scope: each tool call checks its own.
            ("POST", MCP_PATH, None),
        ];
        for (method, path, want) in cases {
            assert_eq!(required_scope(method, path), want, "{method} {path}");
        }
    }

    fn token(scopes: Vec<Scope>, expires_at: Option<i64>) -> ApiToken {
        ApiToken {
            id: TokenId::new("t"),
            user_id: "u".into(),
            name: "n".into(),
            prefix: "thr_abc".into(),
            scopes,
            created_at: 0,
            expires_at,
            last_used_at: None,
            revoked_at: None,
            workspace_id: None,
        }
    }

    #[test]
    fn any_live_token_opens_the_mcp_endpoint_and_each_tool_checks_its_scope() {
        let token = token(vec![Scope::AnalyticsRead], None);
        assert!(authorize(&token, "POST", MCP_PATH).is_ok());
        assert!(authorize(&token, "GET", "/mcp/other").is_err());
        assert!(require(&token, Scope::AnalyticsRead).is_ok());
        let refused = require(&token, Scope::PostsWrite).unwrap_err().to_string();
        assert!(refused.contains("posts:write"), "{refused}");
    }

    #[test]
    fn a_token_is_live_until_revoked_or_expired() {
        let mut t = token(vec![Scope::PostsRead], Some(100));
        assert!(t.is_live(99));
        assert!(!t.is_live(100));
        t.expires_at = None;
        assert!(t.is_live(i64::MAX));
        t.revoked_at = Some(5);
        assert!(!t.is_live(6));
    }
}
