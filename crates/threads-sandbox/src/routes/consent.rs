//! The authorization window (§1.1): a plain HTML consent page with no inline script or style,
//! so it renders under a `default-src 'self'` CSP.

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};

use crate::Sandbox;
use crate::params::Params;
use crate::tokens::{CodeGrant, parse_scopes};

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn error_page(message: &str) -> Response {
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Threads sandbox: error</title></head><body><h1>Cannot authorize</h1><p>{}</p></body></html>",
        escape(message)
    );
    (StatusCode::BAD_REQUEST, Html(body)).into_response()
}

/// Checks client_id, redirect_uri and scope; returns (redirect_uri, scopes).
fn validate(sb: &Sandbox, params: &Params) -> Result<(String, Vec<String>), &'static str> {
    let cfg = sb.config();
    if params.get("client_id") != Some(cfg.app_id.as_str()) {
        return Err("No application data was given or the client_id is invalid.");
    }
    let Some(redirect) = params.get("redirect_uri").filter(|r| !r.is_empty()) else {
        return Err("redirect_uri is required.");
    };
    if !cfg.redirect_uris.is_empty() && !cfg.redirect_uris.iter().any(|r| r == redirect) {
        return Err("redirect_uri does not match a configured redirect URI.");
    }
    if url::Url::parse(redirect).is_err() {
        return Err("redirect_uri is not a valid URL.");
    }
    if params.get("response_type").is_some_and(|r| r != "code") {
        return Err("response_type must be code.");
    }
    let scopes = parse_scopes(params.get("scope").unwrap_or(""));
    if !scopes.iter().any(|s| s == "threads_basic") {
        return Err("scope must include threads_basic.");
    }
    Ok((redirect.to_owned(), scopes))
}

/// `GET /oauth/authorize`: the consent page listing synthetic creators to log in as.
pub async fn show(State(sb): State<Sandbox>, params: Params) -> Response {
    let (redirect, scopes) = match validate(&sb, &params) {
        Ok(v) => v,
        Err(message) => return error_page(message),
    };
    let hidden = |name: &str, value: &str| {
        format!(
            "<input type=\"hidden\" name=\"{name}\" value=\"{}\">",
            escape(value)
        )
    };
    let mut creators = String::new();
    for (i, c) in sb.creators().iter().enumerate() {
        creators.push_str(&format!(
            "<li><label><input type=\"radio\" name=\"user_id\" value=\"{}\"{}> @{} ({}): {} followers</label></li>",
            c.user_id,
            if i == 0 { " checked" } else { "" },
            escape(&c.username),
            escape(&c.name),
            c.followers_count
        ));
    }
    let scope_items: String = scopes
        .iter()
        .map(|s| format!("<li>{}</li>", escape(s)))
        .collect();
    let body = format!(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"><title>Threads sandbox: authorize {app}</title><link rel=\"stylesheet\" href=\"consent.css\"></head><body><p class=\"tag\">Threads API sandbox</p>\
<h1>Authorize {app}</h1><p>The app asks for these permissions:</p><ul>{scope_items}</ul>\
<form method=\"post\" action=\"authorize\">{client}{redirect}{scope}{state}\
<fieldset><legend>Continue as</legend><ul>{creators}</ul></fieldset>\
<button type=\"submit\" name=\"decision\" value=\"allow\">Allow</button> \
<button type=\"submit\" name=\"decision\" value=\"deny\">Deny</button></form></body></html>",
        app = escape(&sb.config().app_id),
        client = hidden("client_id", params.get("client_id").unwrap_or("")),
        redirect = hidden("redirect_uri", &redirect),
        scope = hidden("scope", &scopes.join(",")),
        state = hidden("state", params.get("state").unwrap_or("")),
    );
    Html(body).into_response()
}

/// `POST /oauth/authorize`: Allow redirects with a code, Deny with `error=access_denied`.
pub async fn decide(State(sb): State<Sandbox>, params: Params) -> Response {
    let (redirect, scopes) = match validate(&sb, &params) {
        Ok(v) => v,
        Err(message) => return error_page(message),
    };
    let state = params.get("state").unwrap_or("");
    let Ok(mut target) = url::Url::parse(&redirect) else {
        return error_page("redirect_uri is not a valid URL.");
    };
    if params.get("decision") == Some("allow") {
        let user_id = params.get("user_id").and_then(|u| u.parse::<u64>().ok());
        let Some(user_id) = user_id.filter(|u| sb.world().by_user.contains_key(u)) else {
            return error_page("Pick a creator to continue as.");
        };
        let code = sb.tokens().issue_code(CodeGrant {
            user_id,
            scopes,
            redirect_uri: redirect.clone(),
            issued_at: sb.clock().now(),
        });
        target
            .query_pairs_mut()
            .append_pair("code", &code)
            .append_pair("state", state);
        // Threads appends `#_` to the redirect; clients must strip it.
        target.set_fragment(Some("_"));
    } else {
        target
            .query_pairs_mut()
            .append_pair("error", "access_denied")
            .append_pair("error_reason", "user_denied")
            .append_pair("error_description", "The user denied your request")
            .append_pair("state", state);
    }
    (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, target.to_string())],
    )
        .into_response()
}

/// The consent page's stylesheet (a file of its own: hosts may forbid inline styles).
pub async fn stylesheet() -> Response {
    (
        [(axum::http::header::CONTENT_TYPE, "text/css; charset=utf-8")],
        "body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:3rem auto;padding:0 1rem;color:#111;background:#fafafa}\
.tag{display:inline-block;background:#111;color:#fff;border-radius:99px;padding:2px 10px;font-size:.8rem}\
h1{font-size:1.6rem}fieldset{border:1px solid #ddd;border-radius:12px;background:#fff;padding:1rem}\
ul{padding-left:0;list-style:none}li{margin:.35rem 0}label{cursor:pointer}\
button{font:inherit;font-weight:600;border-radius:10px;padding:.6rem 1.4rem;margin:1rem .5rem 0 0;border:1px solid #111;background:#fff;cursor:pointer}\
button[value=allow]{background:#111;color:#fff}\
@media (prefers-color-scheme:dark){body{background:#111;color:#eee}fieldset{background:#1b1b1b;border-color:#333}button{background:#1b1b1b;color:#eee;border-color:#eee}button[value=allow]{background:#eee;color:#111}}",
    )
        .into_response()
}
