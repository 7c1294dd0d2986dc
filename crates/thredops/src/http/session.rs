//! Who is asking: the session cookie checked against its server-side row on every request.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::ops::Deref;

use axum::extract::{ConnectInfo, FromRequestParts, Path};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::cookies;
use super::error::AppError;
use super::state::WebState;
use crate::api_tokens::ApiToken;
pub use crate::auth::ClientInfo;
use crate::auth::{ActiveWorkspace, CurrentUser};
use crate::billing::gate::{self, PastDueNotice};
use crate::domain::{ProfileId, SessionId};
use crate::store::profiles::ProfileRecord;

/// A signed-in user with a live session, as the web layer sees it: the plain
/// [`CurrentUser`] the product areas take, plus what only pages show. Rejects with 401 (JSON).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Who is asking; `&AuthUser` passes where an area asks for `&CurrentUser`.
    pub current: CurrentUser,
    /// The warning the app pages show while a payment has failed; read for [`PageUser`] only
    /// (one query when billing is on), always `None` for the API.
    pub past_due: Option<PastDueNotice>,
    /// Unread notifications, counted in the app pages' header; read for [`PageUser`] only.
    pub unread_notifications: i64,
    /// Unread inbox items, counted in the app pages' navigation; read for [`PageUser`] only.
    pub unread_inbox: i64,
    /// The name of the workspace the pages act in, shown in their header when it is not the
    /// user's own; read for [`PageUser`] only.
    pub workspace_name: Option<String>,
}

impl Deref for AuthUser {
    type Target = CurrentUser;

    fn deref(&self) -> &CurrentUser {
        &self.current
    }
}

/// Checks the session cookie: `Ok(None)` without one; an invalid, expired or revoked one is an
/// error, never silently anonymous.
pub async fn authenticate(state: &WebState, parts: &Parts) -> Result<Option<AuthUser>, AppError> {
    Ok(check(state, parts, None).await?.map(|(auth, _)| auth))
}

/// [`authenticate`], reading profile `profile_id` of the account in the same query when given
/// (`None` in the pair when the profile is not theirs).
async fn check(
    state: &WebState,
    parts: &Parts,
    profile_id: Option<&ProfileId>,
) -> Result<Option<(AuthUser, Option<ProfileRecord>)>, AppError> {
    if let Some(secret) = bearer(parts) {
        return with_token(state, parts, &secret, profile_id)
            .await
            .map(|(auth, _, profile)| Some((auth, profile)));
    }
    let Some(token) = state.cookies.read(&parts.headers, &cookies::SESSION) else {
        return Ok(None);
    };
    let (session, user, seat, profile) =
        crate::services::accounts::check_session(state, &token, profile_id).await?;
    let workspace = ActiveWorkspace::of(&user, seat);
    let auth = AuthUser {
        current: CurrentUser {
            user,
            session_id: session.id,
            workspace,
        },
        past_due: None,
        unread_notifications: 0,
        unread_inbox: 0,
        workspace_name: None,
    };
    Ok(Some((auth, profile)))
}

/// The secret of an `Authorization: Bearer ...` header on an API request. Pages never take
/// tokens: they are for scripts, and a browser has its session.
fn bearer(parts: &Parts) -> Option<String> {
    if !parts.uri.path().starts_with("/api/") {
        return None;
    }
    bearer_secret(parts)
}

/// The secret of an `Authorization: Bearer ...` header, wherever the request goes.
fn bearer_secret(parts: &Parts) -> Option<String> {
    let value = parts
        .headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    let (scheme, secret) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| secret.trim().to_owned())
}

/// The owner of a live API token, if the token may make this request (its scopes) and has
/// budget left; the profile named by the path is read when asked for, as for a session.
async fn with_token(
    state: &WebState,
    parts: &Parts,
    secret: &str,
    profile_id: Option<&ProfileId>,
) -> Result<(AuthUser, ApiToken, Option<ProfileRecord>), AppError> {
    let (mut user, token) = crate::api_tokens::authenticate(state, secret).await?;
    crate::api_tokens::authorize(&token, parts.method.as_str(), parts.uri.path())?;
    state.token_limiter.check(&token)?;
    // Staff powers are never exercised through a token.
    user.role = crate::domain::Role::User;
    let workspace = token_workspace(state, &user, &token).await?;
    let need = crate::workspaces::access::need(parts.method.as_str(), parts.uri.path());
    if !workspace.role.may(need) {
        return Err(AppError::Forbidden(
            "Your role in this token's workspace does not allow this.",
        ));
    }
    let profile = match profile_id {
        Some(id) => crate::services::profiles::of_workspace(state, &workspace.id, id).await?,
        None => None,
    };
    let auth = AuthUser {
        current: CurrentUser {
            workspace,
            user,
            session_id: SessionId::new(format!("token:{}", token.id)),
        },
        past_due: None,
        unread_notifications: 0,
        unread_inbox: 0,
        workspace_name: None,
    };
    Ok((auth, token, profile))
}

/// The workspace a token acts in: its owner's own, or one they still belong to (with their
/// role there now); a token of a membership that ended is refused.
async fn token_workspace(
    state: &WebState,
    user: &crate::store::users::UserRecord,
    token: &ApiToken,
) -> Result<ActiveWorkspace, AppError> {
    let Some(workspace_id) = token.workspace_id.as_ref() else {
        return Ok(ActiveWorkspace::own(user));
    };
    let seat = crate::workspaces::seat_of(state, workspace_id, &user.id)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(ActiveWorkspace::of(user, Some(seat)))
}

/// The owner of the request's bearer token and the token itself, for endpoints that take API
/// tokens only (the MCP endpoint) and check a scope per operation with
/// [`crate::api_tokens::require`]. The session cookie is never read: 401 without a token.
#[derive(Debug, Clone)]
pub struct TokenUser {
    /// The token's owner, acting with the token's powers only.
    pub auth: AuthUser,
    /// The token, with its scopes.
    pub token: ApiToken,
}

impl FromRequestParts<WebState> for TokenUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let secret = bearer_secret(parts).ok_or(AppError::Unauthorized)?;
        let (auth, token, _) = with_token(state, parts, &secret, None).await?;
        Ok(Self { auth, token })
    }
}

/// A signed-in user and their profile named by the path's `{id}`, checked and read in one
/// query. Rejects with 401 without a live session and 404 when the profile is not theirs.
#[derive(Debug, Clone)]
pub struct OwnProfile {
    /// The signed-in user.
    pub auth: AuthUser,
    /// Their profile.
    pub profile: ProfileRecord,
}

impl FromRequestParts<WebState> for OwnProfile {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let Path(params) = Path::<HashMap<String, String>>::from_request_parts(parts, state)
            .await
            .map_err(|_| AppError::NotFound)?;
        let id = ProfileId::from(params.get("id").ok_or(AppError::NotFound)?.as_str());
        let (auth, profile) = check(state, parts, Some(&id))
            .await?
            .ok_or(AppError::Unauthorized)?;
        enforce_role(&auth, parts)?;
        Ok(Self {
            auth,
            profile: profile.ok_or(AppError::NotFound)?,
        })
    }
}

impl FromRequestParts<WebState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let auth = authenticate(state, parts)
            .await?
            .ok_or(AppError::Unauthorized)?;
        enforce_role(&auth, parts)?;
        Ok(auth)
    }
}

/// Refuses a request the user's role in the workspace does not allow
/// ([`crate::workspaces::access::need`]); every extractor of a signed-in user calls it, so no
/// handler can forget it. The owner, who may do everything, skips the table.
fn enforce_role(auth: &AuthUser, parts: &Parts) -> Result<(), AppError> {
    if auth.workspace.role == crate::domain::WorkspaceRole::Owner {
        return Ok(());
    }
    let need = crate::workspaces::access::need(parts.method.as_str(), parts.uri.path());
    Ok(auth.require(need)?)
}

/// A signed-in user for HTML pages: without a valid session, redirect to the sign-in page. Also
/// reads the past-due notice every app page shows.
#[derive(Debug, Clone)]
pub struct PageUser(pub AuthUser);

/// Where a signed-out visitor of an app page is sent.
#[derive(Debug)]
pub struct ToSignIn {
    expired: bool,
    clear_cookie: Option<String>,
}

impl IntoResponse for ToSignIn {
    fn into_response(self) -> Response {
        let target = if self.expired {
            "/login?expired=1"
        } else {
            "/login"
        };
        let mut response = Redirect::to(target).into_response();
        if let Some(c) = self.clear_cookie.and_then(|c| c.parse().ok()) {
            response
                .headers_mut()
                .insert(axum::http::header::SET_COOKIE, c);
        }
        response
    }
}

impl FromRequestParts<WebState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(state, parts).await {
            Ok(Some(mut user)) => {
                enforce_role(&user, parts).map_err(IntoResponse::into_response)?;
                user.past_due = gate::past_due_notice(state, &user.user)
                    .await
                    .map_err(IntoResponse::into_response)?;
                user.unread_notifications =
                    crate::notifications::unread(state, user.workspace_id())
                        .await
                        .map_err(IntoResponse::into_response)?;
                user.unread_inbox = crate::inbox::unread(state, user.workspace_id())
                    .await
                    .map_err(IntoResponse::into_response)?;
                if !user.workspace.is_own(&user.user) {
                    user.workspace_name = Some(
                        crate::workspaces::name(state, user.workspace_id())
                            .await
                            .map_err(IntoResponse::into_response)?,
                    );
                }
                Ok(PageUser(user))
            }
            Ok(None) => Err(ToSignIn {
                expired: false,
                clear_cookie: None,
            }
            .into_response()),
            Err(AppError::Unauthorized) => Err(ToSignIn {
                expired: true,
                clear_cookie: Some(state.cookies.clear(&cookies::SESSION)),
            }
            .into_response()),
            Err(other) => Err(other.into_response()),
        }
    }
}

/// The visitor on public pages: signed in or not; a stale cookie counts as signed out there.
#[derive(Debug, Clone)]
pub struct Visitor(pub Option<AuthUser>);

impl FromRequestParts<WebState> for Visitor {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        match authenticate(state, parts).await {
            Ok(user) => Ok(Visitor(user)),
            Err(AppError::Unauthorized) => Ok(Visitor(None)),
            Err(other) => Err(other),
        }
    }
}

/// The client's address (from `X-Forwarded-For` only when configured to trust it) and browser.
impl FromRequestParts<WebState> for ClientInfo {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &WebState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip())
            .unwrap_or(IpAddr::from([127, 0, 0, 1]));
        let forwarded = state
            .settings
            .trust_forwarded_for
            .then(|| parts.headers.get("x-forwarded-for"))
            .flatten()
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok());
        let user_agent = parts
            .headers
            .get(axum::http::header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .chars()
            .take(200)
            .collect();
        Ok(ClientInfo {
            ip: forwarded.unwrap_or(peer),
            user_agent,
            device: state.cookies.read(&parts.headers, &cookies::DEVICE),
        })
    }
}

/// The `Set-Cookie` that hands a new session to the browser.
pub fn session_cookie(state: &WebState, signed_in: &crate::services::accounts::SignedIn) -> String {
    state.cookies.set(
        &cookies::SESSION,
        &signed_in.token,
        Some(signed_in.lifetime),
    )
}

/// The `Set-Cookie` of the device cookie that marks this browser as known to an account.
pub fn device_cookie(state: &WebState, device_token: &str) -> String {
    state.cookies.set(
        &cookies::DEVICE,
        device_token,
        Some(crate::auth::device::DEVICE_LIFETIME),
    )
}

/// The `Set-Cookie` of a second-factor challenge.
pub fn second_factor_cookie(state: &WebState, challenge: &str) -> String {
    state.cookies.set(
        &cookies::SECOND_FACTOR,
        challenge,
        Some(crate::services::mfa::CHALLENGE_LIFETIME),
    )
}

/// The `Set-Cookie` that ends the session in the browser.
pub fn clear_session_cookie(state: &WebState) -> String {
    state.cookies.clear(&cookies::SESSION)
}

/// The support chat's continuity token from its cookie, if the browser sent one.
pub fn chat_token(state: &WebState, headers: &axum::http::HeaderMap) -> Option<String> {
    state.cookies.read(headers, &cookies::SUPPORT_CHAT)
}

/// The `Set-Cookie` that keeps (or refreshes) the support chat's continuity token.
pub fn chat_cookie(state: &WebState, token: &str) -> String {
    let max_age = std::time::Duration::from_secs(crate::support::desk::VISITOR_TTL_SECS as u64);
    state
        .cookies
        .set(&cookies::SUPPORT_CHAT, token, Some(max_age))
}
