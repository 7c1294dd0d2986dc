use std::time::Duration;

use chrono::{TimeZone, Utc};
use threads_api::{
    AccessToken, AppCredentials, AuthorizeRequest, ClientSecret, ErrorClass, Scope, UserId,
};

use crate::server::{Reply, TestServer};

fn app() -> AppCredentials {
    AppCredentials {
        client_id: "990602627938098".into(),
        client_secret: ClientSecret::new("APPSECRET"),
    }
}

#[tokio::test]
async fn the_authorize_url_uses_the_authorize_base() {
    let server = TestServer::start().await;
    let url = server.client().authorize_url(&AuthorizeRequest {
        client_id: "990602627938098".into(),
        redirect_uri: "https://thredops.example/oauth/callback".into(),
        scopes: vec![Scope::ContentPublish, Scope::ManageInsights],
        state: Some("st4te".into()),
    });
    assert_eq!(url.path(), "/oauth/authorize");
    assert!(url.as_str().starts_with(&server.url()));
    let q: Vec<_> = url
        .query_pairs()
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let get = |k: &str| q.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str());
    assert_eq!(get("client_id"), Some("990602627938098"));
    assert_eq!(
        get("redirect_uri"),
        Some("https://thredops.example/oauth/callback")
    );
    assert_eq!(
        get("scope"),
        Some("threads_basic,threads_content_publish,threads_manage_insights")
    );
    assert_eq!(get("response_type"), Some("code"));
    assert_eq!(get("state"), Some("st4te"));
}

#[tokio::test]
async fn the_code_exchange_keeps_a_user_id_above_2_pow_53() {
    let server = TestServer::start().await;
    server.on("POST /oauth/access_token", [Reply::ok("code_exchange")]);
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let token = server
        .client()
        .exchange_code(&app(), "https://thredops.example/cb", "AQBcode", now)
        .await
        .unwrap();
    assert_eq!(token.user_id, UserId::from("17841405793187218"));
    assert_eq!(token.access_token.expose(), "THQVJtestshortlived");
    assert_eq!(token.expires_in, None);
    assert_eq!(
        token.expires_at,
        now + chrono::Duration::hours(1),
        "documented 1 h lifetime"
    );
    let r = &server.requests()[0];
    assert_eq!(r.param("grant_type").as_deref(), Some("authorization_code"));
    assert_eq!(r.param("code").as_deref(), Some("AQBcode"));
    assert_eq!(r.param("client_secret").as_deref(), Some("APPSECRET"));
    assert_eq!(
        r.param("redirect_uri").as_deref(),
        Some("https://thredops.example/cb")
    );
    assert!(r.query.is_empty(), "secrets go in the form body");
}

#[tokio::test]
async fn a_string_user_id_and_expires_in_are_accepted() {
    let server = TestServer::start().await;
    server.on(
        "POST /oauth/access_token",
        [Reply::ok("code_exchange_string_id")],
    );
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 12, 0, 0).unwrap();
    let token = server
        .client()
        .exchange_code(&app(), "https://x/cb", "c", now)
        .await
        .unwrap();
    assert_eq!(token.user_id.as_str(), "17841405793187218");
    assert_eq!(token.expires_in, Some(Duration::from_secs(3600)));
    assert_eq!(token.token_type.as_deref(), Some("bearer"));
}

#[tokio::test]
async fn a_reused_code_means_reauth_and_is_not_retried() {
    let server = TestServer::start().await;
    server.on(
        "POST /oauth/access_token",
        [Reply::fixture(400, "error_code_reused")],
    );
    let client = server.client();
    let err = client
        .exchange_code(&app(), "https://x/cb", "used", Utc::now())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Reauth);
    assert!(err.to_string().contains("Matching code was not found"));
    assert_eq!(client.calls_made(), 1);
}

#[tokio::test]
async fn long_lived_exchange_and_refresh_compute_expiry_from_now() {
    let server = TestServer::start().await;
    server.on("GET /access_token", [Reply::ok("long_lived_token")]);
    server.on("GET /refresh_access_token", [Reply::ok("long_lived_token")]);
    let client = server.client();
    let now = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let long = client
        .exchange_for_long_lived(
            &ClientSecret::new("APPSECRET"),
            &AccessToken::new("THshort"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(long.expires_in, Some(Duration::from_secs(5_183_944)));
    assert_eq!(long.expires_at, now + chrono::Duration::seconds(5_183_944));
    let refreshed = client
        .refresh_long_lived(&long.access_token, now)
        .await
        .unwrap();
    assert_eq!(refreshed.access_token.expose(), "THQVJtestlonglived");
    let requests = server.requests();
    assert_eq!(
        requests[0].param("grant_type").as_deref(),
        Some("th_exchange_token")
    );
    assert_eq!(
        requests[0].param("access_token").as_deref(),
        Some("THshort")
    );
    assert_eq!(
        requests[1].param("grant_type").as_deref(),
        Some("th_refresh_token")
    );
    assert_eq!(
        requests[1].param("access_token").as_deref(),
        Some("THQVJtestlonglived")
    );
}
