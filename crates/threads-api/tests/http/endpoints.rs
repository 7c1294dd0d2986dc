use threads_api::{
    ContainerBuilder, ContainerId, ContainerState, Created, DemographicBreakdown, ErrorClass,
    MediaId, UserId, UserInsightsQuery, UserMetric,
};

use crate::server::{Reply, TestServer};

#[tokio::test]
async fn profile_media_and_quota_are_read() {
    let server = TestServer::start().await;
    server.on("GET /v1.0/me", [Reply::ok("profile")]);
    server.on("GET /v1.0/2001", [Reply::ok("media_full")]);
    server.on(
        "GET /v1.0/me/threads_publishing_limit",
        [Reply::ok("publishing_limit")],
    );
    let session = server.session();
    assert_eq!(session.profile().await.unwrap().id, UserId::from("1234567"));
    let media = session.media(&MediaId::from("2001")).await.unwrap();
    assert_eq!(media.child_ids().len(), 3);
    let quota = session.publishing_limit().await.unwrap();
    assert_eq!(quota.quota_usage, Some(4));
    let requests = server.requests();
    assert!(
        requests[0]
            .param("fields")
            .unwrap()
            .contains("threads_biography")
    );
    assert!(
        requests[2]
            .param("fields")
            .unwrap()
            .contains("reply_config")
    );
}

#[tokio::test]
async fn insights_are_requested_and_typed() {
    let server = TestServer::start().await;
    server.on("GET /v1.0/2001/insights", [Reply::ok("media_insights")]);
    server.on(
        "GET /v1.0/me/threads_insights",
        [
            Reply::ok("user_insights"),
            Reply::ok("followers_count"),
            Reply::ok("demographics_country"),
            Reply::ok("demographics_city"),
            Reply::ok("demographics_age"),
            Reply::ok("demographics_gender"),
        ],
    );
    let session = server.session();
    let metrics = session
        .media_insights(&MediaId::from("2001"))
        .await
        .unwrap();
    assert_eq!(metrics.likes, Some(100));
    let insights = session
        .user_insights(&UserInsightsQuery::new([
            UserMetric::Views,
            UserMetric::Likes,
            UserMetric::Clicks,
        ]))
        .await
        .unwrap();
    assert_eq!(insights.metric("clicks").unwrap().total(), Some(15));
    assert_eq!(session.followers_count().await.unwrap(), Some(1523));
    for breakdown in DemographicBreakdown::ALL {
        let d = session.follower_demographics(breakdown).await.unwrap();
        assert_eq!(d.buckets.len(), 2);
    }
    let requests = server.requests();
    assert_eq!(
        requests[0].param("metric").as_deref(),
        Some("views,likes,replies,reposts,quotes,shares")
    );
    assert_eq!(
        requests[1].param("metric").as_deref(),
        Some("views,likes,clicks")
    );
    assert_eq!(
        requests[2].param("metric").as_deref(),
        Some("followers_count")
    );
    assert_eq!(requests[2].param("since"), None);
    let breakdowns: Vec<_> = requests[3..]
        .iter()
        .map(|r| r.param("breakdown").unwrap())
        .collect();
    assert_eq!(breakdowns, ["country", "city", "age", "gender"]);
}

#[tokio::test]
async fn a_post_is_created_polled_and_published() {
    let server = TestServer::start().await;
    server.on("POST /v1.0/me/threads", [Reply::ok("id")]);
    server.on("GET /v1.0/3001", [Reply::ok("container_status_finished")]);
    server.on(
        "POST /v1.0/me/threads_publish",
        [Reply::raw(200, r#"{"id":"4001"}"#)],
    );
    let session = server.session();
    let container = ContainerBuilder::text("Tea or coffee? https://a.com")
        .poll(["Tea", "Coffee"])
        .topic_tag("Drinks")
        .build()
        .unwrap();
    let Created::Container(id) = session.create_container(&container).await.unwrap() else {
        panic!("expected a container");
    };
    assert_eq!(id, ContainerId::from("3001"));
    let status = session.container_status(&id).await.unwrap();
    assert_eq!(status.status, ContainerState::Finished);
    let media = session.publish(&id).await.unwrap();
    assert_eq!(media.as_str(), "4001");

    let requests = server.requests();
    let create = &requests[0];
    assert_eq!(create.param("media_type").as_deref(), Some("TEXT"));
    assert_eq!(
        create.param("text").as_deref(),
        Some("Tea or coffee? https://a.com")
    );
    assert_eq!(
        create.param("poll_attachment").as_deref(),
        Some(r#"{"option_a":"Tea","option_b":"Coffee"}"#)
    );
    assert_eq!(create.param("topic_tag").as_deref(), Some("Drinks"));
    assert_eq!(
        requests[1].param("fields").as_deref(),
        Some("id,status,error_message")
    );
    assert_eq!(requests[2].param("creation_id").as_deref(), Some("3001"));
}

#[tokio::test]
async fn auto_publish_returns_a_media_id() {
    let server = TestServer::start().await;
    server.on("POST /v1.0/me/threads", [Reply::ok("id")]);
    let session = server.session();
    let c = ContainerBuilder::text("now")
        .auto_publish_text()
        .build()
        .unwrap();
    assert_eq!(
        session.create_container(&c).await.unwrap(),
        Created::Published(MediaId::from("3001"))
    );
}

#[tokio::test]
async fn delete_hide_and_repost_hit_their_endpoints() {
    let server = TestServer::start().await;
    server.on("DELETE /v1.0/1001", [Reply::ok("delete")]);
    server.on("POST /v1.0/5001/manage_reply", [Reply::ok("success")]);
    server.on(
        "POST /v1.0/555/repost",
        [Reply::raw(200, r#"{"id":"6001"}"#)],
    );
    server.on(
        "POST /v1.0/42/threads",
        [Reply::fixture(403, "error_permission")],
    );
    let session = server.session();
    let deleted = session.delete(&MediaId::from("1001")).await.unwrap();
    assert!(deleted.success);
    assert_eq!(deleted.deleted_id, Some(MediaId::from("1001")));
    assert!(
        session
            .hide_reply(&MediaId::from("5001"), true)
            .await
            .unwrap()
            .success
    );
    assert_eq!(
        session
            .repost(&MediaId::from("555"))
            .await
            .unwrap()
            .as_str(),
        "6001"
    );
    let as_user = session.clone().for_user(UserId::from("42"));
    let err = as_user
        .create_container(&ContainerBuilder::text("x").build().unwrap())
        .await
        .unwrap_err();
    assert_eq!(err.class(), ErrorClass::Permission);
    let requests = server.requests();
    assert_eq!(requests[1].param("hide").as_deref(), Some("true"));
    assert_eq!(
        (requests[0].method.as_str(), requests[0].path.as_str()),
        ("DELETE", "/v1.0/1001")
    );
}

#[tokio::test]
async fn an_unversioned_client_omits_the_version_prefix() {
    let server = TestServer::start().await;
    server.on("GET /me", [Reply::ok("profile_minimal")]);
    let client = threads_api::ThreadsClient::builder()
        .graph_base(server.url())
        .api_version(None)
        .build()
        .unwrap();
    let profile = client
        .session(threads_api::AccessToken::new("t"))
        .profile()
        .await
        .unwrap();
    assert_eq!(profile.id.as_str(), "1234567");
}

#[tokio::test]
async fn waiting_for_a_container_polls_until_it_settles() {
    use std::time::Duration;
    let server = TestServer::start().await;
    let in_progress = || Reply::raw(200, r#"{"id":"3001","status":"IN_PROGRESS"}"#);
    server.on(
        "GET /v1.0/3001",
        [
            in_progress(),
            in_progress(),
            Reply::ok("container_status_finished"),
        ],
    );
    server.on("GET /v1.0/3002", [Reply::ok("container_status_error")]);
    server.on("GET /v1.0/3003", [in_progress()]);
    let session = server.session();
    let (every, limit) = (Duration::from_millis(5), Duration::from_secs(2));
    let done = session
        .wait_for_container(&ContainerId::from("3001"), every, limit)
        .await
        .unwrap();
    assert_eq!(done.status, ContainerState::Finished);
    assert_eq!(session.client().calls_made(), 3);
    let failed = session
        .wait_for_container(&ContainerId::from("3002"), every, limit)
        .await
        .unwrap();
    assert_eq!(
        failed.error_message.as_deref(),
        Some("FAILED_DOWNLOADING_VIDEO")
    );
    let stuck = session
        .wait_for_container(&ContainerId::from("3003"), every, Duration::from_millis(30))
        .await
        .unwrap();
    assert_eq!(stuck.status, ContainerState::InProgress);
}
