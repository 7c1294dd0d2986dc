//! Every error class, produced by the sandbox and classified by the client.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::TryStreamExt;
use threads_api::{
    ContainerBuilder, Error, ErrorClass, ListQuery, MediaId, RetryPolicy, Session, TransportKind,
};
use threads_sandbox::FaultRule;

use crate::helpers::{Harness, assert_class, invalid, retry_later, rule, spawn};

const LISTING: &str = "/{id}/threads";

/// One page of the user's posts, or the error that stopped it.
async fn first_page(session: &Session) -> Result<(), Error> {
    session
        .posts_pages(&ListQuery::new().limit(5))
        .try_next()
        .await
        .map(|_| ())
}

/// A session whose client never retries, so the first answer is the one classified.
fn no_retry(h: &Harness, timeout: Duration) -> Session {
    let client = h
        .builder()
        .retry(RetryPolicy::none())
        .request_timeout(timeout)
        .build()
        .unwrap();
    h.session_with(&client, h.creator(1), threads_sandbox::tokens::ALL_SCOPES)
}

async fn always(h: &Harness, fault: FaultRule) -> Error {
    h.faults(7, vec![fault]);
    let err = first_page(&no_retry(h, Duration::from_secs(5)))
        .await
        .unwrap_err();
    h.faults(7, Vec::new());
    err
}

#[tokio::test]
async fn http_429_is_retry_later() {
    let h = spawn().await;
    let err = always(
        &h,
        FaultRule {
            http_429: 1.0,
            ..rule(LISTING)
        },
    )
    .await;
    assert_class(&err, &retry_later());
    assert_eq!(err.status(), Some(429));
}

#[tokio::test]
async fn throttling_codes_are_retry_later_with_either_status() {
    let h = spawn().await;
    for status in [400, 403] {
        h.faults(
            3,
            vec![FaultRule {
                throttle: 1.0,
                throttle_status: status,
                ..rule(LISTING)
            }],
        );
        let session = no_retry(&h, Duration::from_secs(5));
        let mut codes = BTreeSet::new();
        for _ in 0..15 {
            let err = first_page(&session).await.unwrap_err();
            assert_class(&err, &retry_later());
            assert_eq!(err.status(), Some(status));
            codes.insert(err.api_error().and_then(|e| e.code).unwrap());
        }
        assert_eq!(codes, BTreeSet::from([4, 17, 613]));
    }
}

#[tokio::test]
async fn server_errors_are_retry_later() {
    let h = spawn().await;
    h.faults(
        11,
        vec![FaultRule {
            server_error: 1.0,
            ..rule(LISTING)
        }],
    );
    let session = no_retry(&h, Duration::from_secs(5));
    let mut statuses = BTreeSet::new();
    for _ in 0..15 {
        let err = first_page(&session).await.unwrap_err();
        assert_class(&err, &retry_later());
        statuses.insert(err.status().unwrap());
    }
    assert_eq!(statuses, BTreeSet::from([500, 502, 503]));
}

#[tokio::test]
async fn a_malformed_body_is_retry_later() {
    let h = spawn().await;
    let err = always(
        &h,
        FaultRule {
            malformed_json: 1.0,
            ..rule(LISTING)
        },
    )
    .await;
    assert_class(&err, &retry_later());
    assert!(
        matches!(
            err,
            Error::Decode {
                status: 200,
                truncated: true,
                ..
            }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_hanging_server_is_a_timeout_and_retry_later() {
    let h = spawn().await;
    h.faults(
        1,
        vec![FaultRule {
            timeout: 1.0,
            timeout_ms: 5_000,
            ..rule(LISTING)
        }],
    );
    let err = first_page(&no_retry(&h, Duration::from_millis(200)))
        .await
        .unwrap_err();
    assert_class(&err, &retry_later());
    assert!(
        matches!(&err, Error::Transport(t) if t.kind == TransportKind::Timeout),
        "{err:?}"
    );
    // A gateway that gives up first answers 504, which is just as transient.
    h.faults(
        1,
        vec![FaultRule {
            timeout: 1.0,
            timeout_ms: 50,
            ..rule(LISTING)
        }],
    );
    let err = first_page(&no_retry(&h, Duration::from_secs(5)))
        .await
        .unwrap_err();
    assert_class(&err, &retry_later());
    assert_eq!(err.status(), Some(504));
}

#[tokio::test]
async fn expired_and_revoked_tokens_mean_reauthorise_without_retrying() {
    let h = spawn().await;
    for (fault, subcode) in [
        (
            FaultRule {
                expired_token: 1.0,
                ..rule(LISTING)
            },
            463,
        ),
        (
            FaultRule {
                revoked_token: 1.0,
                ..rule(LISTING)
            },
            460,
        ),
    ] {
        h.faults(5, vec![fault]);
        // Plenty of attempts allowed, yet only one is made.
        let client = h
            .builder()
            .retry(RetryPolicy {
                max_attempts: 10,
                ..RetryPolicy::fast_for_tests()
            })
            .build()
            .unwrap();
        let session = h.session_with(&client, h.creator(1), &["threads_basic"]);
        let err = first_page(&session).await.unwrap_err();
        assert_class(&err, &ErrorClass::Reauth);
        assert_eq!(err.api_error().and_then(|e| e.subcode), Some(subcode));
        assert_eq!(client.calls_made(), 1);
    }
}

#[tokio::test]
async fn a_token_revoked_through_the_admin_api_means_reauthorise() {
    let h = spawn().await;
    let client = h.client();
    let token = h.sandbox.mint_token(h.creator(1), &["threads_basic"]);
    let session = client.session(threads_api::AccessToken::new(token.clone()));
    session.profile().await.unwrap();
    let res = h
        .http
        .post(format!("{}/_sandbox/tokens/revoke", h.base))
        .json(&serde_json::json!({ "access_token": token }))
        .send()
        .await
        .unwrap();
    assert!(res.status().is_success());
    let err = session.profile().await.unwrap_err();
    assert_class(&err, &ErrorClass::Reauth);
    // A token the sandbox never issued is just as dead.
    let stranger = client.session(threads_api::AccessToken::new("THnot-a-real-token"));
    assert_class(&stranger.profile().await.unwrap_err(), &ErrorClass::Reauth);
}

#[tokio::test]
async fn a_missing_scope_is_a_permission_error() {
    let h = spawn().await;
    let client = h.client();
    let session = h.session_with(&client, h.creator(2), &["threads_basic"]);
    let post = crate::helpers::all_posts(&session).await[0].id.clone();
    let insights = session.media_insights(&post).await.unwrap_err();
    assert_class(&insights, &ErrorClass::Permission);
    let container = ContainerBuilder::text("hi").build().unwrap();
    let create = session.create_container(&container).await.unwrap_err();
    assert_class(&create, &ErrorClass::Permission);
    let replies = session
        .replies(&post, &ListQuery::new())
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_class(&replies, &ErrorClass::Permission);
    assert_class(
        &session.delete(&post).await.unwrap_err(),
        &ErrorClass::Permission,
    );
    assert_class(
        &session.hide_reply(&post, true).await.unwrap_err(),
        &ErrorClass::Permission,
    );
    // Publishing scope alone may read the post quota but not the reply or delete quotas.
    let publisher = h.session_with(
        &client,
        h.creator(2),
        &["threads_basic", "threads_content_publish"],
    );
    assert_class(
        &publisher.publishing_limit().await.unwrap_err(),
        &ErrorClass::Permission,
    );
    let posts_only = publisher
        .publishing_limit_fields(&["quota_usage", "config"])
        .await
        .unwrap();
    assert_eq!(posts_only.posts_remaining(), Some(250));
    assert_eq!(posts_only.reply_quota_usage, None);
}

#[tokio::test]
async fn a_bad_parameter_is_invalid() {
    let h = spawn().await;
    let session = h.session(h.creator(2));
    let err = session
        .posts(&ListQuery::new().fields(&["id", "no_such_field"]))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_class(&err, &invalid());
    assert!(err.to_string().contains("no_such_field"), "{err}");

    // The builder cannot know which ids exist; the sandbox refuses an unknown quoted post.
    let container = ContainerBuilder::text("quoting nothing")
        .quote(MediaId::new("1234"))
        .build()
        .unwrap();
    let err = session.create_container(&container).await.unwrap_err();
    assert_class(&err, &invalid());
    assert_eq!(session.client().calls_made(), 2, "neither was retried");
}

#[tokio::test]
async fn an_unknown_api_version_is_a_graph_error_not_an_empty_404() {
    let h = spawn().await;
    let client = h.builder().api_version(Some("v9.9")).build().unwrap();
    let session = h.session_with(&client, h.creator(1), threads_sandbox::tokens::ALL_SCOPES);
    let err = session.profile().await.unwrap_err();
    assert_eq!(err.status(), Some(404));
    let api = err.api_error().expect("Graph's error envelope");
    assert_eq!((api.code, api.subcode), (Some(100), Some(33)));
    assert_eq!(api.kind.as_deref(), Some("THApiException"));
    assert!(api.message.starts_with("Unsupported get request."), "{api}");
    assert_class(&err, &invalid());
    assert_eq!(client.calls_made(), 1, "not retried");
}

#[tokio::test]
async fn generic_messages_carry_the_code_prefix_and_quoted_ones_stay_verbatim() {
    let h = spawn().await;
    let session = no_retry(&h, Duration::from_secs(5));
    let message = |err: &Error| err.api_error().expect("envelope").message.clone();

    let cursor = first_page_after(&session, "not-a-cursor")
        .await
        .unwrap_err();
    assert_eq!(message(&cursor), "(#100) Invalid cursor");
    let basic = h.session_with(session.client(), h.creator(1), &["threads_basic"]);
    let post = crate::helpers::all_posts(&basic).await[0].id.clone();
    let scope = basic.media_insights(&post).await.unwrap_err();
    assert!(message(&scope).starts_with("(#10) "), "{scope}");
    let throttled = always(
        &h,
        FaultRule {
            throttle: 1.0,
            ..rule(LISTING)
        },
    )
    .await;
    let code = throttled.api_error().and_then(|e| e.code).expect("code");
    assert!(
        message(&throttled).starts_with(&format!("(#{code}) ")),
        "{throttled}"
    );

    let field = session
        .posts(&ListQuery::new().fields(&["id", "no_such_field"]))
        .try_collect::<Vec<_>>()
        .await
        .unwrap_err();
    assert_eq!(
        message(&field),
        "Tried accessing nonexisting field (no_such_field)"
    );
    let unknown = session
        .media(&MediaId::new("18999999999999999"))
        .await
        .unwrap_err();
    assert!(
        message(&unknown)
            .starts_with("Unsupported get request. Object with ID '18999999999999999'"),
        "{unknown}"
    );
    let container = ContainerBuilder::text("too early").build().unwrap();
    let threads_api::Created::Container(id) = session.create_container(&container).await.unwrap()
    else {
        panic!("a text container is not published at once");
    };
    let early = session.publish(&id).await.unwrap_err();
    assert_eq!(message(&early), "The requested resource does not exist");
}

/// The first page after `cursor`.
async fn first_page_after(session: &Session, cursor: &str) -> Result<(), Error> {
    session
        .posts_pages(&ListQuery::new().after(cursor))
        .try_next()
        .await
        .map(|_| ())
}

#[tokio::test]
async fn the_client_reports_the_budget_usage_the_server_sends() {
    let mut config = crate::helpers::config();
    config.rate_limit.calls_per_impression = 1;
    let h = crate::helpers::spawn_with(config, "").await;
    // A tiny creator: the floor of 10 impressions gives a budget of 10 calls.
    let user = h.add_creator(threads_sandbox::CreatorTraits {
        followers: Some(5),
        posts: Some(3),
        ..Default::default()
    });
    let client = h.builder().retry(RetryPolicy::none()).build().unwrap();
    let session = h.session_with(&client, user, &["threads_basic"]);
    assert_eq!(
        client.app_usage(),
        None,
        "nothing seen before the first call"
    );
    session.profile().await.unwrap();
    let first = client.app_usage().expect("usage after a call");
    assert_eq!(first.call_count, 10);
    assert!(first.total_cputime <= first.call_count && first.total_time <= first.call_count);
    for _ in 0..9 {
        session.profile().await.unwrap();
    }
    assert_eq!(client.app_usage().map(|u| u.call_count), Some(100));
    let err = session.profile().await.unwrap_err();
    assert_class(&err, &retry_later());
    assert_eq!(err.api_error().and_then(|e| e.code), Some(4));
    assert_eq!(client.app_usage().map(|u| u.highest()), Some(100));
}
