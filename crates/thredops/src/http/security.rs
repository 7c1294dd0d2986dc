//! Security headers on every response, and refusal of cross-origin state changes.

use axum::extract::FromRequestParts;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::AppError;
use super::state::WebState;

/// Only our own origin, no inline code, no plug-ins, no framing, forms post only to us.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/// Paths that outside services POST to without a browser session (Meta, Stripe callbacks).
const EXTERNAL_CALLBACK_PREFIXES: &[&str] = &["/hooks/"];

/// Adds the baseline headers; authenticated and dynamic responses are never cached.
pub async fn headers(State(state): State<WebState>, request: Request, next: Next) -> Response {
    let cacheable = request.uri().path().starts_with("/static/");
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    let set = |h: &mut HeaderMap, name: &'static str, value: &'static str| {
        h.insert(name, HeaderValue::from_static(value));
    };
    set(h, "content-security-policy", CONTENT_SECURITY_POLICY);
    set(h, "x-content-type-options", "nosniff");
    set(h, "referrer-policy", "same-origin");
    set(
        h,
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=(), interest-cohort=()",
    );
    set(h, "cross-origin-opener-policy", "same-origin");
    set(h, "cross-origin-resource-policy", "same-origin");
    set(h, "x-frame-options", "DENY");
    if !cacheable {
        set(h, "cache-control", "no-store");
    }
    if state.is_https() {
        set(
            h,
            "strict-transport-security",
            "max-age=31536000; includeSubDomains",
        );
    }
    response
}

/// Refuses state-changing requests that a browser marks as coming from another site.
pub async fn same_origin_writes(
    State(state): State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    let safe = matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    );
    let path = request.uri().path();
    if safe
        || EXTERNAL_CALLBACK_PREFIXES
            .iter()
            .any(|p| path.starts_with(p))
    {
        return next.run(request).await;
    }
    if is_cross_origin(request.headers(), &state.public_origin()) {
        tracing::warn!(path, "refused a cross-origin write");
        return AppError::Forbidden("Requests from other sites are not allowed.").into_response();
    }
    next.run(request).await
}

/// The sandbox's admin API (its clock, faults, creators, minted tokens and ground truth) answers
/// clients on this machine and signed-in admins only, unless `THREDOPS_SANDBOX_ADMIN=open`.
/// Everything else under `/sandbox` is the simulated Graph API, open as Meta's is.
pub async fn sandbox_admin_only_locally(
    State(state): State<WebState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    let admin_api = path.starts_with("/_sandbox") || path.contains("/sandbox/_sandbox");
    if !admin_api || state.threads.sandbox_admin_open {
        return next.run(request).await;
    }
    let (mut parts, body) = request.into_parts();
    let admin = is_local(&parts)
        || crate::http::session::AuthUser::from_request_parts(&mut parts, &state)
            .await
            .is_ok_and(|u| u.user.role == crate::domain::Role::Admin);
    if !admin {
        tracing::warn!(%path, "refused the sandbox admin API to a remote client");
        return AppError::Forbidden(
            "The sandbox's admin API answers this machine and administrators only.",
        )
        .into_response();
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Whether the request comes from this machine itself: a loopback peer that forwards nobody
/// else's request (a reverse proxy on the same machine is a loopback peer too, but it adds
/// `X-Forwarded-For` or `Forwarded`).
pub fn is_local(parts: &axum::http::request::Parts) -> bool {
    let peer_is_loopback = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .is_some_and(|c| c.0.ip().is_loopback());
    let forwarded = parts.headers.contains_key("x-forwarded-for")
        || parts.headers.contains_key(header::FORWARDED);
    peer_is_loopback && !forwarded
}

/// A browser write is same-origin only when its `Origin` is the configured public origin (or,
/// when that is a loopback address, the same scheme and port under another loopback name).
/// Neither the `Host` header nor a scheme the deployment does not use are trusted: a page on a
/// domain that resolves to this server (DNS rebinding) sends its own name as both `Origin` and
/// `Host`, and `Sec-Fetch-Site: same-origin` with them.
fn is_cross_origin(headers: &HeaderMap, public_origin: &str) -> bool {
    if let Some(origin) = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
        return !same_origin(origin, public_origin);
    }
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return !matches!(site, "same-origin" | "none");
    }
    // No browser hint: a non-browser client, which cannot ride on a victim's cookies.
    false
}

const LOOPBACK_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "[::1]"];

fn same_origin(origin: &str, public_origin: &str) -> bool {
    if origin == public_origin {
        return true;
    }
    let (Ok(origin), Ok(public)) = (url::Url::parse(origin), url::Url::parse(public_origin)) else {
        return false;
    };
    let loopback = |u: &url::Url| {
        u.host_str()
            .is_some_and(|h| LOOPBACK_NAMES.contains(&h) || h == "::1")
    };
    loopback(&public)
        && loopback(&origin)
        && origin.scheme() == public.scheme()
        && origin.port_or_known_default() == public.port_or_known_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        let mut m = HeaderMap::new();
        for (k, v) in pairs {
            m.insert(*k, HeaderValue::from_static(v));
        }
        m
    }

    #[test]
    fn cross_site_fetch_metadata_is_refused() {
        assert!(is_cross_origin(
            &h(&[("sec-fetch-site", "cross-site")]),
            "https://a.example"
        ));
        assert!(is_cross_origin(
            &h(&[("sec-fetch-site", "same-site")]),
            "https://a.example"
        ));
        assert!(!is_cross_origin(
            &h(&[("sec-fetch-site", "same-origin")]),
            "https://a.example"
        ));
    }

    #[test]
    fn foreign_origin_is_refused_and_own_origin_accepted() {
        assert!(is_cross_origin(
            &h(&[("origin", "https://evil.example"), ("host", "a.example")]),
            "https://a.example"
        ));
        assert!(!is_cross_origin(
            &h(&[("origin", "https://a.example")]),
            "https://a.example"
        ));
        assert!(!is_cross_origin(
            &h(&[
                ("origin", "http://localhost:8080"),
                ("host", "localhost:8080")
            ]),
            "http://127.0.0.1:8080"
        ));
        assert!(!is_cross_origin(&h(&[]), "https://a.example"));
    }

    #[test]
    fn only_the_configured_origin_counts_not_the_host_header() {
        // DNS rebinding: a foreign name that resolves here, sent as Origin and Host alike.
        assert!(is_cross_origin(
            &h(&[
                ("origin", "http://rebind.example:8080"),
                ("host", "rebind.example:8080"),
                ("sec-fetch-site", "same-origin")
            ]),
            "http://127.0.0.1:8080"
        ));
        // The https scheme on an http deployment, and another port, are other origins.
        assert!(is_cross_origin(
            &h(&[
                ("origin", "https://127.0.0.1:8080"),
                ("host", "127.0.0.1:8080")
            ]),
            "http://127.0.0.1:8080"
        ));
        assert!(is_cross_origin(
            &h(&[("origin", "http://localhost:9090")]),
            "http://127.0.0.1:8080"
        ));
        // A public deployment accepts no loopback alias.
        assert!(is_cross_origin(
            &h(&[("origin", "http://localhost:8080")]),
            "https://a.example"
        ));
        assert!(!is_cross_origin(
            &h(&[("origin", "http://[::1]:8080")]),
            "http://127.0.0.1:8080"
        ));
    }
}
