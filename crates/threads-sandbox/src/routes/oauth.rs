//! Token endpoints: code exchange, long-lived exchange, refresh (§1.3, §1.4).

use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

use crate::Sandbox;
use crate::errors::{ApiError, ApiResult};
use crate::params::Params;
use crate::tokens::{LONG_LIVED, REFRESH_MIN_AGE, TokenKind};

fn required<'a>(params: &'a Params, name: &str) -> ApiResult<&'a str> {
    params
        .get(name)
        .ok_or_else(|| ApiError::invalid_param(format!("The parameter {name} is required")))
}

/// `POST /oauth/access_token`: authorization code -> short-lived token.
pub async fn exchange_code(State(sb): State<Sandbox>, params: Params) -> ApiResult<Json<Value>> {
    let cfg = sb.config();
    if required(&params, "grant_type")? != "authorization_code" {
        return Err(ApiError::invalid_param(
            "Param grant_type must be authorization_code",
        ));
    }
    if required(&params, "client_id")? != cfg.app_id
        || required(&params, "client_secret")? != cfg.app_secret
    {
        return Err(ApiError::bad_client());
    }
    let code = required(&params, "code")?;
    let redirect_uri = required(&params, "redirect_uri")?;
    let now = sb.clock().now();
    let grant = sb
        .tokens()
        .take_code(code, now)
        .ok_or_else(ApiError::code_not_found)?;
    if grant.redirect_uri != redirect_uri {
        return Err(ApiError::invalid_param(
            "Error validating verification code. Please make sure your redirect_uri is identical to the one you used in the OAuth dialog request",
        ));
    }
    let (token, _) = sb.mint(grant.user_id, grant.scopes, TokenKind::Short);
    // user_id is a bare JSON number above 2^53, as Threads sends it.
    Ok(Json(
        json!({"access_token": token, "user_id": grant.user_id}),
    ))
}

/// `GET /access_token?grant_type=th_exchange_token`: short-lived -> long-lived.
pub async fn exchange_long_lived(
    State(sb): State<Sandbox>,
    params: Params,
) -> ApiResult<Json<Value>> {
    if required(&params, "grant_type")? != "th_exchange_token" {
        return Err(ApiError::invalid_param(
            "Param grant_type must be th_exchange_token",
        ));
    }
    if required(&params, "client_secret")? != sb.config().app_secret {
        return Err(ApiError::bad_client());
    }
    let token = params.token().ok_or_else(ApiError::no_token)?;
    let info = sb.tokens().validate(token, sb.clock().now())?;
    if info.kind != TokenKind::Short {
        return Err(ApiError::invalid_param(
            "Only short-lived tokens can be exchanged; refresh long-lived ones",
        ));
    }
    let (token, _) = sb.mint(info.user_id, info.scopes, TokenKind::Long);
    Ok(Json(
        json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED.num_seconds()}),
    ))
}

/// `GET /refresh_access_token?grant_type=th_refresh_token`: only for long-lived tokens at least
/// 24 h old and unexpired.
pub async fn refresh(State(sb): State<Sandbox>, params: Params) -> ApiResult<Json<Value>> {
    if required(&params, "grant_type")? != "th_refresh_token" {
        return Err(ApiError::invalid_param(
            "Param grant_type must be th_refresh_token",
        ));
    }
    let token = params.token().ok_or_else(ApiError::no_token)?;
    let now = sb.clock().now();
    let info = sb.tokens().validate(token, now)?;
    if info.kind != TokenKind::Long {
        return Err(ApiError::invalid_param(
            "Only long-lived tokens can be refreshed",
        ));
    }
    // The exact error is unconfirmed; a Graph-generic parameter error keeps the token usable.
    if now - info.issued_at < REFRESH_MIN_AGE {
        return Err(ApiError::invalid_param(
            "The access token can be refreshed only after it is at least 24 hours old",
        ));
    }
    let (token, _) = sb.mint(info.user_id, info.scopes, TokenKind::Long);
    Ok(Json(
        json!({"access_token": token, "token_type": "bearer", "expires_in": LONG_LIVED.num_seconds()}),
    ))
}
