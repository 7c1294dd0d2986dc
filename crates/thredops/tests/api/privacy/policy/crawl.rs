//! "No third-party tracking": crawl every page the app serves, signed out and signed in, and fail
//! on anything loaded from another origin and on any cookie not in the registry.

use std::collections::{BTreeSet, VecDeque};

use reqwest::StatusCode;

use super::super::creator_account;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    no_page_loads_third_party_origins,
    cookies_are_only_the_registered_ones_and_explained
);

/// Attribute values of `attr` on tags named `tag` (a small scanner: our HTML is our own).
fn attr_values(html: &str, tag: &str, attr: &str) -> Vec<String> {
    let mut out = Vec::new();
    let open = format!("<{tag}");
    for chunk in html.split(&open).skip(1) {
        if !chunk.starts_with([' ', '>', '\n', '/']) {
            continue;
        }
        let tag_text = chunk.split('>').next().unwrap_or_default();
        for quote in ['"', '\''] {
            let marker = format!(" {attr}={quote}");
            if let Some(start) = tag_text.find(&marker) {
                let rest = &tag_text[start + marker.len()..];
                out.push(unescape(rest.split(quote).next().unwrap_or_default()));
            }
        }
    }
    out
}

/// Undoes the HTML escaping templates apply to attribute values.
fn unescape(v: &str) -> String {
    v.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// Whether a URL in a page leaves our origin (absolute or protocol-relative to another host).
fn third_party(url: &str, origin: &str) -> bool {
    let lower = url.trim().to_ascii_lowercase();
    let absolute =
        lower.starts_with("http:") || lower.starts_with("https:") || lower.starts_with("//");
    absolute && !lower.starts_with(&origin.to_ascii_lowercase())
}

/// Every cookie name allowed by the registry, in both deployments' spellings.
fn registered() -> BTreeSet<String> {
    thredops::http::cookies::REGISTRY
        .iter()
        .flat_map(|c| [c.name.to_owned(), format!("__Host-{}", c.name)])
        .collect()
}

fn check_cookies(r: &reqwest::Response, path: &str) {
    for value in r.headers().get_all("set-cookie") {
        let name = value
            .to_str()
            .unwrap()
            .split('=')
            .next()
            .unwrap()
            .to_owned();
        assert!(
            registered().contains(&name),
            "{path} set the unregistered cookie {name}"
        );
    }
}

/// Crawls same-origin links from `start` with `client`; returns the pages visited.
async fn crawl(app: &TestApp, client: &reqwest::Client, start: &[&str]) -> BTreeSet<String> {
    let mut seen: BTreeSet<String> = BTreeSet::new();
    let mut queue: VecDeque<String> = start.iter().map(|s| s.to_string()).collect();
    // Routes with effects or binary answers are not pages; the sandbox is the simulated Meta.
    let skip = [
        "/sandbox",
        "/logout",
        "/hooks/",
        "/settings/privacy/export",
        "/api/",
    ];
    while let Some(path) = queue.pop_front() {
        if seen.len() > 150
            || !seen.insert(path.clone())
            || skip.iter().any(|s| path.starts_with(s))
        {
            continue;
        }
        let r = client
            .get(app.url(&path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        check_cookies(&r, &path);
        let csp = r
            .headers()
            .get("content-security-policy")
            .map(|v| v.to_str().unwrap().to_owned());
        let is_html = r
            .headers()
            .get("content-type")
            .is_some_and(|v| v.to_str().unwrap().starts_with("text/html"));
        let status = r.status();
        let body = r.text().await.unwrap();
        if !is_html {
            continue;
        }
        assert!(status != StatusCode::INTERNAL_SERVER_ERROR, "{path} failed");
        let csp = csp.unwrap_or_else(|| panic!("{path} has no Content-Security-Policy"));
        assert!(
            csp.contains("default-src 'self'") && !csp.contains("http"),
            "{path}: {csp}"
        );
        let loads = [
            ("script", "src"),
            ("link", "href"),
            ("img", "src"),
            ("img", "srcset"),
            ("iframe", "src"),
            ("frame", "src"),
            ("source", "src"),
            ("video", "src"),
            ("audio", "src"),
            ("embed", "src"),
            ("object", "data"),
            ("form", "action"),
            ("input", "formaction"),
            ("button", "formaction"),
        ];
        for (tag, attr) in loads {
            for url in attr_values(&body, tag, attr) {
                assert!(
                    !third_party(&url, &app.address),
                    "{path} loads {url} in <{tag} {attr}>"
                );
            }
        }
        assert!(
            !body.contains(" style=\"") && !body.contains("<style"),
            "{path} has inline styles"
        );
        for script in body.split("<script").skip(1) {
            assert!(
                script.split('>').next().unwrap().contains("src="),
                "{path} has an inline script"
            );
        }
        for href in attr_values(&body, "a", "href") {
            if href.starts_with('/') && !href.starts_with("//") {
                queue.push_back(href.split('#').next().unwrap().to_owned());
            }
        }
    }
    seen
}

async fn no_page_loads_third_party_origins(app: TestApp) {
    let visitor = app.new_client();
    let public = crawl(
        &app,
        &visitor,
        &[
            "/",
            "/login",
            "/signup",
            "/privacy",
            "/cookies",
            "/privacy/deletion-request",
            "/privacy/deletion/unknown-code-0000000000000000",
        ],
    )
    .await;
    assert!(public.len() >= 7, "{public:?}");
    creator_account(&app, "crawl@example.com", "crawl_posts", 5).await;
    let signed_in = crawl(
        &app,
        &app.client,
        &["/app", "/settings", "/settings/privacy", "/app/profiles"],
    )
    .await;
    for page in ["/app/analytics", "/settings/privacy", "/privacy"] {
        assert!(
            signed_in.contains(page),
            "the crawl reached {page}: {signed_in:?}"
        );
    }
    let css = app.get("/static/app.css").await.text().await.unwrap();
    for url in css
        .split("url(")
        .skip(1)
        .map(|u| u.split(')').next().unwrap().trim_matches(['"', '\'']))
    {
        assert!(!third_party(url, &app.address), "app.css loads {url}");
    }
    assert!(!css.contains("@import"), "app.css imports nothing");
    let js = app.get("/static/app.js").await.text().await.unwrap();
    assert!(
        !js.contains("http://") && !js.contains("https://"),
        "app.js connects to no other origin"
    );
}

async fn cookies_are_only_the_registered_ones_and_explained(app: TestApp) {
    // The cookie page is generated from the registry.
    let page = app.get("/cookies").await.text().await.unwrap();
    for spec in thredops::http::cookies::REGISTRY {
        assert!(
            page.contains(spec.name) && page.contains(spec.lifetime.split(',').next().unwrap())
        );
    }
    // Without cookies, signing in explains that the essential cookie is required.
    let no_cookies = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let form = no_cookies
        .get(app.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("essential cookie"),
        "the sign-in page explains essential cookies"
    );
    let r = no_cookies
        .post(app.url("/login"))
        .form(&[
            ("csrf", crate::connect::csrf_in(&form)),
            ("email", "x@example.com".into()),
            ("password", "whatever-password".into()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let html = r.text().await.unwrap();
    assert!(
        html.contains("Your browser sent no cookies. ThredOps needs one essential cookie"),
        "a refused sign-in without cookies says why"
    );
}

#[tokio::test]
async fn policy_pages_name_the_configured_operator() {
    use crate::helpers::{Backend, TestApp};
    let app = TestApp::spawn_with(Backend::Sqlite, |raw| {
        raw.set("operator_name", "Tidewater Studio Ltd");
        raw.set("operator_contact", "privacy@tidewater.example");
    })
    .await
    .unwrap();
    let policy = app.get("/privacy").await.text().await.unwrap();
    assert!(
        policy.contains("Tidewater Studio Ltd") && policy.contains("privacy@tidewater.example")
    );
    assert!(
        !policy.contains("support@thredops.com"),
        "the default contact is replaced"
    );
    let cookies = app.get("/cookies").await.text().await.unwrap();
    assert!(cookies.contains("Tidewater Studio Ltd"));
    let default = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let policy = default.get("/privacy").await.text().await.unwrap();
    assert!(policy.contains("support@thredops.com") && policy.contains("operated by ThredOps"));
}
