//! OAuth end to end: consent page, callback, code exchange, long-lived exchange and refresh,
//! with the sandbox mounted under `/sandbox` to prove prefix mounting.

use std::time::Duration;

use threads_api::{
    AppCredentials, AuthorizeCallback, AuthorizeRequest, CallbackError, ClientSecret, ErrorClass,
    Scope, ThreadsClient,
};
use url::Url;

use crate::helpers::{APP_ID, APP_SECRET, Harness, REDIRECT_URI, assert_class, config, invalid};

fn app() -> AppCredentials {
    AppCredentials {
        client_id: APP_ID.to_owned(),
        client_secret: ClientSecret::new(APP_SECRET),
    }
}

fn request(state: &str) -> AuthorizeRequest {
    AuthorizeRequest {
        client_id: APP_ID.to_owned(),
        redirect_uri: REDIRECT_URI.to_owned(),
        scopes: vec![
            Scope::ContentPublish,
            Scope::ManageInsights,
            Scope::ReadReplies,
        ],
        state: Some(state.to_owned()),
    }
}

/// A form as a browser would submit it: its action and the fields it would send.
struct Form {
    action: Url,
    fields: Vec<(String, String)>,
    buttons: Vec<(String, String)>,
}

fn unescape(text: &str) -> String {
    text.replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}

/// The value of `name="..."` inside one tag.
fn attr(tag: &str, name: &str) -> Option<String> {
    let needle = format!(" {name}=\"");
    let start = tag.find(&needle)? + needle.len();
    let end = start + tag[start..].find('"')?;
    Some(unescape(&tag[start..end]))
}

/// Every `<name ...>` tag in `html`.
fn tags<'a>(html: &'a str, name: &str) -> Vec<&'a str> {
    let open = format!("<{name} ");
    html.match_indices(&open)
        .filter_map(|(i, _)| {
            let end = html[i..].find('>')?;
            Some(&html[i..i + end])
        })
        .collect()
}

/// Reads the consent form like a browser: hidden inputs, the checked radio, the buttons.
fn parse_form(page: &Url, html: &str) -> Form {
    let form = *tags(html, "form").first().expect("a form");
    assert_eq!(attr(form, "method").as_deref(), Some("post"));
    let action = page.join(&attr(form, "action").expect("action")).unwrap();
    let mut fields = Vec::new();
    for input in tags(html, "input") {
        let (Some(name), Some(value)) = (attr(input, "name"), attr(input, "value")) else {
            continue;
        };
        match attr(input, "type").as_deref() {
            Some("radio" | "checkbox") if !input.contains(" checked") => {}
            _ => fields.push((name, value)),
        }
    }
    let buttons = tags(html, "button")
        .into_iter()
        .filter_map(|b| Some((attr(b, "name")?, attr(b, "value")?)))
        .collect();
    Form {
        action,
        fields,
        buttons,
    }
}

/// Opens the authorization window, presses `button`, and returns the redirect target.
async fn consent(h: &Harness, client: &ThreadsClient, state: &str, button: &str) -> Url {
    let url = client.authorize_url(&request(state));
    assert!(
        url.as_str()
            .starts_with(&format!("{}/oauth/authorize?", h.base)),
        "{url}"
    );
    let page = h.http.get(url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let form = parse_form(&url, &html);
    let pressed = form
        .buttons
        .iter()
        .find(|(_, v)| v == button)
        .expect("button")
        .clone();
    let mut fields = form.fields;
    fields.push(pressed);
    let answer = h.http.post(form.action).form(&fields).send().await.unwrap();
    assert!(answer.status().is_redirection(), "{}", answer.status());
    let location = answer.headers()["location"].to_str().unwrap();
    let target = Url::parse(location).unwrap();
    assert!(target.as_str().starts_with(REDIRECT_URI), "{target}");
    target
}

async fn mounted() -> Harness {
    crate::helpers::spawn_with(config(), "/sandbox").await
}

#[tokio::test]
async fn a_user_who_allows_goes_from_consent_to_a_refreshable_long_lived_token() {
    let h = mounted().await;
    let client = h.client();
    let first_creator = h.sandbox.creators()[0].clone();

    let callback = consent(&h, &client, "csrf-123", "allow").await;
    assert_eq!(callback.fragment(), Some("_"), "Meta appends #_");
    let callback = AuthorizeCallback::from_url(&callback).unwrap();
    assert_eq!(callback.state.as_deref(), Some("csrf-123"));

    let short = client
        .exchange_code(&app(), REDIRECT_URI, &callback.code, h.now())
        .await
        .unwrap();
    assert_eq!(short.user_id.as_str(), first_creator.id, "a u64 above 2^53");
    assert!(short.access_token.expose().starts_with("TH"));
    assert_eq!(short.expires_at, h.now() + chrono::Duration::hours(1));

    // The short-lived token already works, with exactly the scopes granted.
    let profile = client
        .session(short.access_token.clone())
        .profile()
        .await
        .unwrap();
    assert_eq!(profile.id.as_str(), first_creator.id);

    let long = client
        .exchange_for_long_lived(&ClientSecret::new(APP_SECRET), &short.access_token, h.now())
        .await
        .unwrap();
    assert_eq!(long.token_type.as_deref(), Some("bearer"));
    assert_eq!(long.expires_in, Some(Duration::from_secs(60 * 86_400)));
    assert_eq!(long.expires_at, h.now() + chrono::Duration::days(60));

    // Too young to refresh: the sandbox answers with a parameter error, which is Invalid.
    let err = client
        .refresh_long_lived(&long.access_token, h.now())
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
    assert!(err.to_string().contains("24 hours"), "{err}");

    h.advance(Duration::from_secs(25 * 3_600));
    let refreshed = client
        .refresh_long_lived(&long.access_token, h.now())
        .await
        .unwrap();
    assert_ne!(refreshed.access_token, long.access_token);
    assert_eq!(refreshed.expires_at, h.now() + chrono::Duration::days(60));
    let session = client.session(refreshed.access_token);
    assert_eq!(
        session.profile().await.unwrap().id.as_str(),
        first_creator.id
    );
    // Scopes carried through every exchange: insights granted, delete not.
    session.followers_count().await.unwrap();
    let err = session
        .delete(&threads_api::MediaId::new("18000000000000000"))
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Permission);
}

#[tokio::test]
async fn a_reused_code_means_reauthorise() {
    let h = mounted().await;
    let client = h.client();
    let callback = AuthorizeCallback::from_url(&consent(&h, &client, "s", "allow").await).unwrap();
    client
        .exchange_code(&app(), REDIRECT_URI, &callback.code, h.now())
        .await
        .unwrap();
    let err = client
        .exchange_code(&app(), REDIRECT_URI, &callback.code, h.now())
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Reauth);
    assert_eq!(client.calls_made(), 2, "a code exchange is never retried");
}

#[tokio::test]
async fn a_code_older_than_an_hour_means_reauthorise() {
    let h = mounted().await;
    let client = h.client();
    let callback = AuthorizeCallback::from_url(&consent(&h, &client, "s", "allow").await).unwrap();
    h.advance(Duration::from_secs(3_601));
    let err = client
        .exchange_code(&app(), REDIRECT_URI, &callback.code, h.now())
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Reauth);
}

#[tokio::test]
async fn a_user_who_denies_comes_back_with_access_denied() {
    let h = mounted().await;
    let client = h.client();
    let target = consent(&h, &client, "csrf-9", "deny").await;
    let err = AuthorizeCallback::from_url(&target).unwrap_err();
    assert_eq!(
        err,
        CallbackError::Denied {
            error: "access_denied".into(),
            description: "The user denied your request".into(),
        }
    );
    assert!(
        target
            .query_pairs()
            .any(|(k, v)| k == "state" && v == "csrf-9")
    );
    assert_eq!(client.calls_made(), 0, "nothing to exchange");
}

#[tokio::test]
async fn a_short_lived_token_cannot_be_exchanged_after_its_hour() {
    let h = mounted().await;
    let client = h.client();
    let callback = AuthorizeCallback::from_url(&consent(&h, &client, "s", "allow").await).unwrap();
    let short = client
        .exchange_code(&app(), REDIRECT_URI, &callback.code, h.now())
        .await
        .unwrap();
    h.advance(Duration::from_secs(3_600));
    let err = client
        .exchange_for_long_lived(&ClientSecret::new(APP_SECRET), &short.access_token, h.now())
        .await
        .unwrap_err();
    assert_class(&err, &ErrorClass::Reauth);
}
