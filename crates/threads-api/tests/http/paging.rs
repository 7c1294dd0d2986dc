use futures_util::{StreamExt, TryStreamExt};
use threads_api::{Error, ListQuery, MediaId, ValidationError};

use crate::server::{Reply, TestServer};

#[tokio::test]
async fn the_posts_stream_walks_every_page_until_next_is_absent() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me/threads",
        [
            Reply::ok("posts_page1"),
            Reply::ok("posts_page2"),
            Reply::ok("posts_last_page"),
        ],
    );
    let session = server.session();
    let posts: Vec<_> = session
        .posts(&ListQuery::new().limit(2))
        .try_collect()
        .await
        .unwrap();
    let ids: Vec<_> = posts.iter().map(|p| p.id.as_str()).collect();
    assert_eq!(ids, ["1001", "1002", "1003", "1004"]);

    let requests = server.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[0].param("after"), None);
    assert_eq!(requests[1].param("after").as_deref(), Some("A1"));
    assert_eq!(requests[2].param("after").as_deref(), Some("A2"));
    for r in &requests {
        assert_eq!(
            r.param("limit").as_deref(),
            Some("2"),
            "the query is kept on every page"
        );
        assert!(r.param("fields").unwrap().contains("poll_attachment"));
    }
    assert_eq!(session.client().calls_made(), 3);
}

#[tokio::test]
async fn an_empty_page_ends_the_stream_even_with_a_next_link() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/me/threads",
        [Reply::ok("posts_page2"), Reply::ok("posts_empty")],
    );
    let session = server.session();
    let pages: Vec<_> = session
        .posts_pages(&ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(pages.len(), 1);
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn since_until_and_resume_cursor_are_sent() {
    use chrono::TimeZone;
    let server = TestServer::start().await;
    server.on("GET /v1.0/me/threads", [Reply::ok("posts_last_page")]);
    let since = chrono::Utc.timestamp_opt(1_700_000_000, 0).unwrap();
    let until = chrono::Utc.timestamp_opt(1_700_086_400, 0).unwrap();
    let query = ListQuery::new().since(since).until(until).after("RESUME");
    let n = server.session().posts(&query).count().await;
    assert_eq!(n, 1);
    let r = &server.requests()[0];
    assert_eq!(r.param("since").as_deref(), Some("1700000000"));
    assert_eq!(r.param("until").as_deref(), Some("1700086400"));
    assert_eq!(r.param("after").as_deref(), Some("RESUME"));
}

#[tokio::test]
async fn a_next_link_without_cursors_is_followed_on_the_same_host_only() {
    let server = TestServer::start().await;
    let page1 = format!(
        r#"{{"data":[{{"id":"1"}}],"paging":{{"next":"{}/v1.0/me/threads?after=X&access_token=LEAKED"}}}}"#,
        server.url()
    );
    let page2 =
        r#"{"data":[{"id":"2"}],"paging":{"next":"https://evil.example/v1.0/me/threads?after=Y"}}"#;
    server.on(
        "GET /v1.0/me/threads",
        [Reply::raw(200, page1), Reply::raw(200, page2)],
    );
    let posts: Vec<_> = server
        .session()
        .posts(&ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(posts.len(), 2, "the foreign next link is not followed");
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    assert_eq!(requests[1].param("after").as_deref(), Some("X"));
    assert_eq!(
        requests[1].param("access_token").as_deref(),
        Some(crate::server::TOKEN)
    );
}

#[tokio::test]
async fn a_limit_over_100_fails_without_any_request() {
    let server = TestServer::start().await;
    let session = server.session();
    let result: Result<Vec<_>, _> = session
        .posts(&ListQuery::new().limit(101))
        .try_collect()
        .await;
    assert!(matches!(
        result,
        Err(Error::Validation(ValidationError::PageLimit(101)))
    ));
    assert_eq!(session.client().calls_made(), 0);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn replies_and_conversation_page_with_reverse() {
    let server = TestServer::start().await;
    server.on(
        "GET /v1.0/1001/replies",
        [Reply::ok("posts_page2"), Reply::ok("posts_last_page")],
    );
    server.on(
        "GET /v1.0/1001/conversation",
        [Reply::ok("posts_last_page")],
    );
    let session = server.session();
    let media = MediaId::from("1001");
    let replies: Vec<_> = session
        .replies(&media, &ListQuery::new().reverse(false))
        .try_collect()
        .await
        .unwrap();
    assert_eq!(replies.len(), 2);
    let convo: Vec<_> = session
        .conversation(&media, &ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(convo.len(), 1);
    assert_eq!(
        server.requests()[0].param("reverse").as_deref(),
        Some("false")
    );
}

#[tokio::test]
async fn a_next_link_pointing_at_itself_does_not_loop() {
    let server = TestServer::start().await;
    let next = format!("{}/v1.0/me/threads?after=SAME", server.url());
    let page = format!(r#"{{"data":[{{"id":"1"}}],"paging":{{"next":"{next}"}}}}"#);
    server.on("GET /v1.0/me/threads", [Reply::raw(200, page)]);
    let posts: Vec<_> = server
        .session()
        .posts(&ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    assert_eq!(posts.len(), 2, "first page, then the linked page once");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test]
async fn a_repeated_after_cursor_ends_the_walk() {
    let server = TestServer::start().await;
    server.on("GET /v1.0/me/threads", [Reply::ok("posts_page1")]);
    let pages: Vec<_> = server
        .session()
        .posts_pages(&ListQuery::new())
        .try_collect()
        .await
        .unwrap();
    // Page 1 again with after=A1 repeats the cursor; the next link (another host) is not followed.
    assert_eq!(pages.len(), 2);
    assert_eq!(server.requests().len(), 2);
}
