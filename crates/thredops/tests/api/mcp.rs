//! The MCP endpoint: tools over the same product functions and tokens as the JSON API, driven
//! over real HTTP as an MCP client drives it, and by the official MCP Python SDK.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::connect::{PASSWORD, connect, creator, wait_for_backfill};
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    a_client_initializes_lists_the_tools_and_reads_with_its_token,
    scheduling_goes_through_the_preflight_and_shows_in_the_api,
    each_tool_needs_its_scope_and_sees_its_owner_only,
    malformed_messages_get_json_rpc_errors,
    the_official_python_client_reads_analytics_and_schedules,
);

const ALL_SCOPES: [&str; 5] = [
    "profiles:read",
    "analytics:read",
    "posts:read",
    "posts:write",
    "strategy:read",
];
const TOOLS: [&str; 5] = [
    "list_profiles",
    "get_analytics",
    "list_posts",
    "schedule_post",
    "get_strategy_findings",
];

/// Signs up, connects a creator with a history and waits for it; returns the profile id.
async fn connected(app: &TestApp, email: &str) -> String {
    app.signup(email, PASSWORD).await;
    let c = creator(app, &email.replace(['@', '.'], "_"), 120, 900);
    let id = connect(app, c.user_id).await;
    wait_for_backfill(app, &id).await;
    id
}

/// Makes a token with `scopes` for the signed-in client; returns its secret.
async fn token(app: &TestApp, scopes: &[&str]) -> String {
    let r = app
        .post_json(
            "/api/v1/tokens",
            &json!({"name": "Assistant", "scopes": scopes}),
        )
        .await;
    assert_eq!(r.status(), StatusCode::CREATED);
    let body: Value = r.json().await.unwrap();
    body["secret"].as_str().unwrap().to_owned()
}

/// POSTs a raw body to /mcp as an MCP client does: bearer token only, no cookie.
async fn post(app: &TestApp, secret: Option<&str>, body: String) -> reqwest::Response {
    let mut request = reqwest::Client::new()
        .post(app.url("/mcp"))
        .header("Content-Type", "application/json")
        .header("Accept", "application/json, text/event-stream")
        .body(body);
    if let Some(secret) = secret {
        request = request.bearer_auth(secret);
    }
    request.send().await.unwrap()
}

/// Sends one JSON-RPC request and returns the whole JSON-RPC response.
async fn rpc(app: &TestApp, secret: &str, method: &str, params: Value) -> Value {
    let message = json!({"jsonrpc": "2.0", "id": 7, "method": method, "params": params});
    let r = post(app, Some(secret), message.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/json")
    );
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["jsonrpc"], "2.0");
    assert_eq!(body["id"], 7, "{body}");
    body
}

/// Calls a tool and returns its result (a JSON-RPC error fails the test).
async fn call(app: &TestApp, secret: &str, tool: &str, arguments: Value) -> Value {
    let body = rpc(
        app,
        secret,
        "tools/call",
        json!({"name": tool, "arguments": arguments}),
    )
    .await;
    assert!(body.get("error").is_none(), "{tool}: {body}");
    body["result"].clone()
}

/// The result's text content.
fn text(result: &Value) -> String {
    result["content"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            assert_eq!(c["type"], "text");
            c["text"].as_str().unwrap()
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// A successful tool result's structured content, also checked to be its text content.
fn ok(result: &Value) -> Value {
    assert_eq!(result["isError"], false, "{result}");
    let parsed: Value = serde_json::from_str(&text(result)).unwrap();
    assert_eq!(parsed, result["structuredContent"]);
    result["structuredContent"].clone()
}

/// A refused tool call's message.
fn refused(result: &Value) -> String {
    assert_eq!(result["isError"], true, "{result}");
    text(result)
}

async fn api(app: &TestApp, path: &str) -> Value {
    let r = app.get(path).await;
    assert_eq!(r.status(), StatusCode::OK, "{path}");
    r.json().await.unwrap()
}

async fn a_client_initializes_lists_the_tools_and_reads_with_its_token(app: TestApp) {
    let profile = connected(&app, "assistant@example.com").await;
    let secret = token(&app, &ALL_SCOPES).await;

    let init = rpc(
        &app,
        &secret,
        "initialize",
        json!({"protocolVersion": "2025-03-26", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
    )
    .await;
    let result = &init["result"];
    assert_eq!(
        result["protocolVersion"], "2025-03-26",
        "the client's version is kept"
    );
    assert_eq!(result["serverInfo"]["name"], "thredops");
    assert!(result["capabilities"]["tools"].is_object(), "{result}");
    // A client newer than the server is offered the newest revision the server speaks.
    let newer = rpc(
        &app,
        &secret,
        "initialize",
        json!({"protocolVersion": "2099-01-01", "capabilities": {}, "clientInfo": {"name": "test", "version": "1"}}),
    )
    .await;
    assert_eq!(newer["result"]["protocolVersion"], "2025-06-18");
    // Notifications are accepted without an answer.
    let r = post(
        &app,
        Some(&secret),
        json!({"jsonrpc": "2.0", "method": "notifications/initialized"}).to_string(),
    )
    .await;
    assert_eq!(r.status(), StatusCode::ACCEPTED);
    assert!(r.text().await.unwrap().is_empty());
    assert_eq!(
        rpc(&app, &secret, "ping", json!({})).await["result"],
        json!({})
    );

    let listed = rpc(&app, &secret, "tools/list", json!({})).await;
    let tools = listed["result"]["tools"].as_array().unwrap();
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, TOOLS);
    for t in tools {
        let schema = &t["inputSchema"];
        assert_eq!(schema["type"], "object", "{t}");
        assert_eq!(schema["additionalProperties"], false, "{t}");
        assert!(
            t["description"].as_str().unwrap().contains(":read")
                || t["description"].as_str().unwrap().contains(":write"),
            "the description names the scope: {t}"
        );
    }
    let schedule = tools.iter().find(|t| t["name"] == "schedule_post").unwrap();
    assert_eq!(
        schedule["inputSchema"]["required"],
        json!(["profile_id", "text"])
    );
    assert_eq!(schedule["annotations"]["readOnlyHint"], false);

    // Each tool answers what the JSON API answers for the same request.
    let profiles = ok(&call(&app, &secret, "list_profiles", json!({})).await);
    assert_eq!(profiles["profiles"], api(&app, "/api/v1/profiles").await);
    assert_eq!(profiles["profiles"][0]["id"], profile.as_str());

    let analytics = ok(&call(
        &app,
        &secret,
        "get_analytics",
        json!({"profile_id": profile, "period": "90d"}),
    )
    .await);
    let overview = api(
        &app,
        &format!("/api/v1/profiles/{profile}/analytics/overview?period=90d"),
    )
    .await;
    assert_eq!(analytics["metrics"], overview["metrics"]);
    assert_eq!(analytics["period"], overview["period"]);
    let top = analytics["top_posts"].as_array().unwrap();
    assert_eq!(top.len(), 5, "{analytics}");
    let views: Vec<i64> = top.iter().map(|p| p["views"].as_i64().unwrap()).collect();
    assert!(
        views.windows(2).all(|w| w[0] >= w[1]),
        "most viewed first: {views:?}"
    );
    assert!(top[0]["text"].as_str().is_some_and(|t| !t.is_empty()));

    let findings = ok(&call(
        &app,
        &secret,
        "get_strategy_findings",
        json!({"profile_id": profile}),
    )
    .await);
    let report = api(&app, &format!("/api/v1/profiles/{profile}/strategy")).await;
    assert_eq!(findings["recommendations"], report["recommendations"]);
    assert_eq!(findings["enough_data"], report["enough_data"]);

    let posts = ok(&call(&app, &secret, "list_posts", json!({})).await);
    assert_eq!(posts["posts"], json!([]));
}

async fn scheduling_goes_through_the_preflight_and_shows_in_the_api(app: TestApp) {
    let profile = connected(&app, "scheduler@example.com").await;
    let secret = token(&app, &ALL_SCOPES).await;

    let post = ok(&call(
        &app,
        &secret,
        "schedule_post",
        json!({"profile_id": profile, "text": "Written by my assistant", "when": "2031-05-04T09:30", "topic_tag": "Assistants"}),
    )
    .await);
    assert_eq!(post["state"], "scheduled");
    assert_eq!(post["local_time"], "2031-05-04T09:30");
    // The JSON API shows the same post, with its publishing job planned.
    let id = post["id"].as_str().unwrap();
    let shown = api(&app, &format!("/api/v1/publishing/posts/{id}")).await;
    assert_eq!(shown["state"], "scheduled");
    assert_eq!(shown["scheduled_at"], post["scheduled_at"]);
    assert_eq!(
        shown["content"]["parts"][0]["text"],
        "Written by my assistant"
    );
    assert_eq!(shown["content"]["topic_tag"], "Assistants");
    let jobs: i64 = thredops::with_pool!(app.state.store, |p| sqlx::query_scalar(
        "SELECT count(*) FROM jobs WHERE kind = 'publish_post' AND state = 'queued'"
    )
    .fetch_one(p)
    .await)
    .unwrap();
    assert_eq!(jobs, 1, "one publishing job for the post");

    // "queue" (the default) takes the next free posting slot, once the profile has slots.
    let message = refused(
        &call(
            &app,
            &secret,
            "schedule_post",
            json!({"profile_id": profile, "text": "Queued by my assistant"}),
        )
        .await,
    );
    assert!(message.contains("no posting slots"), "{message}");
    let r = app
        .client
        .put(app.url(&format!("/api/v1/publishing/profiles/{profile}/slots")))
        .header("Origin", &app.address)
        .json(&json!([{"day": "mon", "time": "09:00"}, {"day": "thu", "time": "18:30"}]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let queued = ok(&call(
        &app,
        &secret,
        "schedule_post",
        json!({"profile_id": profile, "text": "Queued by my assistant"}),
    )
    .await);
    assert_eq!(queued["state"], "scheduled", "{queued}");
    assert!(queued["scheduled_at"].as_i64().unwrap() > thredops::clock::now().timestamp());

    // The preflight's problems come back as a refusal with the messages.
    for (text, when, said) in [
        (
            "x".repeat(600),
            "2031-05-04T10:00",
            "cannot be scheduled yet: Threads allows 500",
        ),
        ("Too late".into(), "2020-01-01T09:00", "in the past"),
        ("When?".into(), "next tuesday", "2026-03-29T09:00"),
    ] {
        let args = json!({"profile_id": profile, "text": text, "when": when});
        let message = refused(&call(&app, &secret, "schedule_post", args).await);
        assert!(message.contains(said), "{when}: {message}");
    }

    // Nothing refused was saved; list_posts filters by state and profile.
    let all = api(&app, "/api/v1/publishing/posts").await;
    assert_eq!(all.as_array().unwrap().len(), 2, "{all}");
    let listed = ok(&call(
        &app,
        &secret,
        "list_posts",
        json!({"profile_id": profile, "state": "scheduled"}),
    )
    .await);
    assert_eq!(listed["posts"].as_array().unwrap().len(), 2);
    assert_eq!(listed["posts"][0]["id"], queued["id"], "soonest first");
    assert_eq!(listed["posts"][1]["id"], post["id"]);
    let drafts = ok(&call(&app, &secret, "list_posts", json!({"state": "draft"})).await);
    assert_eq!(drafts["posts"], json!([]));
    let one = ok(&call(&app, &secret, "list_posts", json!({"limit": 1})).await);
    assert_eq!(one["posts"].as_array().unwrap().len(), 1);
}

async fn each_tool_needs_its_scope_and_sees_its_owner_only(app: TestApp) {
    let profile = connected(&app, "owner@example.com").await;
    let analytics_only = token(&app, &["analytics:read"]).await;

    // Any live token opens the endpoint; each tool then asks for its own scope.
    let init = rpc(
        &app,
        &analytics_only,
        "initialize",
        json!({"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}),
    )
    .await;
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    ok(&call(
        &app,
        &analytics_only,
        "get_analytics",
        json!({"profile_id": profile}),
    )
    .await);
    for (tool, args, scope) in [
        ("list_profiles", json!({}), "profiles:read"),
        ("list_posts", json!({}), "posts:read"),
        (
            "schedule_post",
            json!({"profile_id": profile, "text": "hello"}),
            "posts:write",
        ),
        (
            "get_strategy_findings",
            json!({"profile_id": profile}),
            "strategy:read",
        ),
    ] {
        let message = refused(&call(&app, &analytics_only, tool, args).await);
        assert!(message.contains(scope), "{tool}: {message}");
    }
    assert_eq!(
        api(&app, "/api/v1/publishing/posts").await,
        json!([]),
        "nothing was scheduled"
    );

    // Another account's token sees none of this profile.
    let other = app.new_client();
    crate::helpers::sign_up_with(&app, &other, "stranger@example.com", PASSWORD).await;
    let r = other
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"name": "Theirs", "scopes": ALL_SCOPES}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let theirs = r.json::<Value>().await.unwrap()["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    for tool in ["get_analytics", "get_strategy_findings"] {
        let message = refused(&call(&app, &theirs, tool, json!({"profile_id": profile})).await);
        assert!(message.starts_with("Not found"), "{tool}: {message}");
    }
    let message = refused(&call(&app, &theirs, "list_posts", json!({"profile_id": profile})).await);
    assert!(message.starts_with("Not found"), "{message}");
    let message = refused(
        &call(
            &app,
            &theirs,
            "schedule_post",
            json!({"profile_id": profile, "text": "Not mine"}),
        )
        .await,
    );
    assert!(message.contains("your connected profiles"), "{message}");
    let listed = ok(&call(&app, &theirs, "list_profiles", json!({})).await);
    assert_eq!(listed["profiles"], json!([]));

    // No token, a made-up one, or a session cookie alone: 401 before any message is read.
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string();
    assert_eq!(
        post(&app, None, ping.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        post(&app, Some("thr_madeup"), ping.clone()).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let r = app
        .client
        .post(app.url("/mcp"))
        .header("Content-Type", "application/json")
        .header("Origin", &app.address)
        .body(ping.clone())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED, "cookies are not read");

    // The token's request budget covers the endpoint.
    let mut limited = false;
    for _ in 0..(thredops::api_tokens::BURST + 5) {
        let r = post(&app, Some(&analytics_only), ping.clone()).await;
        if r.status() == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
        assert_eq!(r.status(), StatusCode::OK);
    }
    assert!(limited, "the per-token rate limit applies");
}

async fn malformed_messages_get_json_rpc_errors(app: TestApp) {
    app.signup("fumbler@example.com", PASSWORD).await;
    let secret = token(&app, &ALL_SCOPES).await;

    let code = |body: &Value| body["error"]["code"].as_i64().unwrap();
    let body = rpc(&app, &secret, "resources/list", json!({})).await;
    assert_eq!(code(&body), -32601, "{body}");
    let body = rpc(
        &app,
        &secret,
        "tools/call",
        json!({"name": "delete_everything", "arguments": {}}),
    )
    .await;
    assert_eq!(code(&body), -32602);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("delete_everything")
    );
    for (tool, arguments, named) in [
        ("get_analytics", json!({}), "profile_id"),
        ("get_analytics", json!({"profile_id": 5}), "string"),
        (
            "schedule_post",
            json!({"profile_id": "p", "txt": "typo"}),
            "txt",
        ),
        ("list_posts", json!({"state": "lost"}), "draft, scheduled"),
        ("list_posts", json!({"limit": 0}), "limit"),
    ] {
        let body = rpc(
            &app,
            &secret,
            "tools/call",
            json!({"name": tool, "arguments": arguments}),
        )
        .await;
        assert_eq!(code(&body), -32602, "{tool}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(message.contains(named), "{tool}: {message}");
    }

    // Not JSON, not JSON-RPC, or an unknown protocol revision.
    let r = post(&app, Some(&secret), "{not json".into()).await;
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    assert_eq!(code(&r.json().await.unwrap()), -32700);
    let r = post(
        &app,
        Some(&secret),
        json!({"id": 1, "method": "ping"}).to_string(),
    )
    .await;
    assert_eq!(code(&r.json().await.unwrap()), -32600);
    let r = reqwest::Client::new()
        .post(app.url("/mcp"))
        .bearer_auth(&secret)
        .header("MCP-Protocol-Version", "1999-01-01")
        .body(json!({"jsonrpc": "2.0", "id": 1, "method": "ping"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("2025-06-18"),
        "{body}"
    );

    // A batch is answered per request; GET (a server stream) is not offered.
    let batch = json!([
        {"jsonrpc": "2.0", "id": "a", "method": "ping"},
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": "b", "method": "nope"},
    ]);
    let r = post(&app, Some(&secret), batch.to_string()).await;
    assert_eq!(r.status(), StatusCode::OK);
    let answers: Value = r.json().await.unwrap();
    assert_eq!(answers[0]["id"], "a");
    assert_eq!(answers[0]["result"], json!({}));
    assert_eq!(answers[1]["id"], "b");
    assert_eq!(answers[1]["error"]["code"], -32601);
    assert_eq!(answers.as_array().unwrap().len(), 2);
    let r = reqwest::Client::new()
        .get(app.url("/mcp"))
        .bearer_auth(&secret)
        .header("Accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
}

/// Whether the official MCP Python SDK is installed; without it the client check is skipped
/// (and says so), unless `THREDOPS_REQUIRE_MCP_CLIENT=1` makes that a failure.
fn python_mcp_client() -> bool {
    let found = std::process::Command::new("python3")
        .args(["-c", "import mcp.client.streamable_http"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            !std::env::var("THREDOPS_REQUIRE_MCP_CLIENT").is_ok_and(|v| v == "1"),
            "the MCP Python SDK is required (THREDOPS_REQUIRE_MCP_CLIENT=1) but `import mcp` fails: pip install mcp==2.3.0"
        );
        eprintln!("MCP client check skipped: install the MCP Python SDK (pip install mcp==2.3.0)");
    }
    found
}

async fn the_official_python_client_reads_analytics_and_schedules(app: TestApp) {
    if !python_mcp_client() {
        return;
    }
    let profile = connected(&app, "claude@example.com").await;
    let secret = token(&app, &ALL_SCOPES).await;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/../../.ci/mcp-client-check.py");
    let url = app.url("/mcp");
    // On a blocking thread, so that the server on this test's runtime keeps answering.
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(script)
            .arg(url)
            .arg(secret)
            .output()
    })
    .await
    .unwrap()
    .expect("python3 runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "the MCP client check failed:\n{stdout}\n{stderr}"
    );
    eprintln!("{stdout}");
    let id = stdout
        .lines()
        .last()
        .and_then(|l| l.strip_prefix("OK scheduled="))
        .unwrap_or_else(|| panic!("no OK line:\n{stdout}"));
    // The post the client scheduled is the API's post, on the profile, at its time.
    let shown = api(&app, &format!("/api/v1/publishing/posts/{id}")).await;
    assert_eq!(shown["state"], "scheduled");
    assert_eq!(shown["profile_id"], profile.as_str());
    assert_eq!(shown["local_time"], "2031-05-04T09:30");
}
