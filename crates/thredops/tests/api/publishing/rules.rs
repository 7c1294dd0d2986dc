//! Preflight rules and isolation between users.

use serde_json::{Value, json};

use super::support::*;
use crate::helpers::TestApp;
use crate::on_both_backends;

on_both_backends!(
    preflight_rejects_each_rule_breach_in_plain_words,
    other_users_posts_uploads_and_slots_are_not_found,
    a_post_on_a_profile_that_needs_reconnecting_is_flagged_and_warned_once,
    hostile_text_is_stored_exactly_and_shown_escaped,
);

/// SQL and HTML in a user's text are data: stored and returned byte for byte, rendered escaped.
async fn hostile_text_is_stored_exactly_and_shown_escaped(app: TestApp) {
    let (profile, _) = setup(&app, "hostile").await;
    let text = "<script>alert('x')</script> Robert'); DROP TABLE scheduled_posts;-- \\\" 100%";
    let post = schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": text}]})).await;
    let id = post["id"].as_str().unwrap();
    assert_eq!(
        get_post(&app, id).await["content"]["parts"][0]["text"],
        text
    );
    let page = app
        .get(&format!("/app/schedule/posts/{id}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("<script>alert("),
        "raw markup reached the page"
    );
    assert!(
        page.contains("&lt;script&gt;alert("),
        "the text is shown, escaped"
    );
    // The table the text names is still there.
    assert_eq!(get_post(&app, id).await["id"], id);
}

async fn preflight_rejects_each_rule_breach_in_plain_words(app: TestApp) {
    let (profile, _) = setup(&app, "rules").await;
    let check = |content: Value| {
        let app = &app;
        async move {
            app.post_json("/api/v1/publishing/preflight", &content)
                .await
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let ok = check(json!({"parts": [{"text": "héllo 😀"}]})).await;
    assert_eq!(
        (ok["ok"].clone(), ok["counts"][0]["length"].clone()),
        (json!(true), json!(10))
    );
    let cases = [
        (
            json!({"parts": [{"text": "a".repeat(501)}]}),
            "parts[0].text",
            "500 characters",
        ),
        (
            json!({"parts": [{"text": "x".repeat(497) + "😀"}]}),
            "parts[0].text",
            "counts emoji",
        ),
        (
            json!({"parts": [{"text": "https://a.io https://b.io https://c.io https://d.io https://e.io https://f.io"}]}),
            "parts[0].text",
            "at most 5 different links",
        ),
        (
            json!({"parts": [{"text": "hi"}], "reply_to_id": "not-an-id"}),
            "reply_to_id",
            "numeric id of the Threads post to reply to",
        ),
        (
            json!({"parts": [{"text": "hi"}], "topic_tag": "R&D"}),
            "topic_tag",
            "cannot contain \"&\"",
        ),
        (
            json!({"parts": [{"text": "hi"}], "topic_tag": "v1.0"}),
            "topic_tag",
            "cannot contain \".\"",
        ),
        (
            json!({"parts": [{"text": "hi", "poll_options": ["one"]}]}),
            "parts[0].poll_options",
            "2 to 4 options",
        ),
        (
            json!({"parts": [{"text": "hi", "poll_options": ["a", "b", "c", "d", "e"]}]}),
            "parts[0].poll_options",
            "2 to 4 options",
        ),
        (
            json!({"parts": [{"text": "hi", "poll_options": ["a", "an option much longer than 25"]}]}),
            "parts[0].poll_options",
            "at most 25",
        ),
        (
            json!({"parts": [{"text": "hi", "link_attachment": "not a url"}]}),
            "parts[0].link_attachment",
            "https://",
        ),
        (
            json!({"parts": [{"text": "hi"}, {"text": "  "}]}),
            "parts[1].text",
            "Post 2 of the chain is empty",
        ),
        (
            json!({"parts": [{"text": "hi", "media": [{"id": "nope"}]}]}),
            "parts[0].media[0]",
            "Upload the file again",
        ),
        (
            json!({"parts": [{"text": "hi"}], "reply_control": "nobody"}),
            "reply_control",
            "Choose who can reply",
        ),
        (json!({"parts": []}), "parts", "Write something"),
    ];
    for (content, field, words) in &cases {
        let r = check(content.clone()).await;
        assert_eq!(r["ok"], false, "{content}");
        let message = r["problems"][field]
            .as_str()
            .unwrap_or_else(|| panic!("{field} not in {r}"));
        assert!(message.contains(words), "{field}: {message}");
        let created = app
            .post_json("/api/v1/publishing/posts", &json!({"profile_id": profile, "content": content, "action": "schedule", "local_time": now_local()}))
            .await;
        assert_eq!(created.status(), 422);
        let body: Value = created.json().await.unwrap();
        assert!(body["error"]["fields"][field].is_string(), "{body}");
    }
    // A carousel of 21 and one of 1 item (1 is a single image, so only 21 breaks the rule).
    let img = upload_png(&app, "p.png", 400, 400).await;
    let many: Vec<Value> = (0..21).map(|_| json!({"id": img})).collect();
    let r = check(json!({"parts": [{"text": "album", "media": many}]})).await;
    assert!(
        r["problems"]["parts[0].media"]
            .as_str()
            .unwrap()
            .contains("2 to 20")
    );
    let listed: Vec<Value> = app
        .get("/api/v1/publishing/posts")
        .await
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty(), "nothing was scheduled: {listed:?}");
    // Uploads are checked for type and shape.
    let gif = app
        .client
        .post(app.url("/api/v1/publishing/media?filename=x.gif"))
        .body(b"GIF89a....".to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(gif.status(), 422);
    let thin = app
        .client
        .post(app.url("/api/v1/publishing/media?filename=thin.png"))
        .body(png(1100, 100))
        .send()
        .await
        .unwrap();
    let body: Value = thin.json().await.unwrap();
    assert!(
        body["error"]["fields"]["file"]
            .as_str()
            .unwrap()
            .contains("10:1"),
        "{body}"
    );
}

async fn other_users_posts_uploads_and_slots_are_not_found(app: TestApp) {
    let (profile, _) = setup(&app, "owner").await;
    let img = upload_png(&app, "mine.png", 500, 500).await;
    let post = app
        .post_json(
            "/api/v1/publishing/posts",
            &json!({"profile_id": profile, "content": {"parts": [{"text": "Mine"}]}}),
        )
        .await
        .json::<Value>()
        .await
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let other = crate::helpers::client();
    crate::helpers::sign_up_with(&app, &other, "eve@example.com", crate::connect::PASSWORD).await;
    let body = json!({"profile_id": profile, "content": {"parts": [{"text": "x"}]}});
    let calls = [
        ("GET", format!("/api/v1/publishing/posts/{post}"), None),
        (
            "PUT",
            format!("/api/v1/publishing/posts/{post}"),
            Some(body.clone()),
        ),
        ("DELETE", format!("/api/v1/publishing/posts/{post}"), None),
        (
            "POST",
            format!("/api/v1/publishing/posts/{post}/cancel"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/publishing/posts/{post}/duplicate"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/publishing/posts/{post}/retry"),
            None,
        ),
        (
            "POST",
            format!("/api/v1/publishing/posts/{post}/schedule"),
            Some(json!({"action": "queue"})),
        ),
        ("GET", format!("/api/v1/publishing/media/{img}"), None),
        (
            "GET",
            format!("/api/v1/publishing/profiles/{profile}/slots"),
            None,
        ),
        (
            "PUT",
            format!("/api/v1/publishing/profiles/{profile}/slots"),
            Some(json!([])),
        ),
        (
            "GET",
            format!("/api/v1/publishing/profiles/{profile}/quota"),
            None,
        ),
        (
            "GET",
            format!("/api/v1/profiles/{profile}/suggested-times"),
            None,
        ),
        ("GET", format!("/app/schedule/posts/{post}"), None),
    ];
    for (method, path, body) in calls {
        let mut r = other.request(method.parse().unwrap(), app.url(&path));
        if let Some(b) = body {
            r = r.json(&b);
        }
        assert_eq!(r.send().await.unwrap().status(), 404, "{method} {path}");
    }
    let listed: Vec<Value> = other
        .get(app.url("/api/v1/publishing/posts"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(listed.is_empty());
    let stolen = other
        .post(app.url("/api/v1/publishing/posts"))
        .json(&json!({"profile_id": profile, "content": {"parts": [{"text": "x", "media": [{"id": img}]}]}}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        stolen.status(),
        422,
        "someone else's profile and upload are not usable"
    );
    assert_eq!(get_post(&app, &post).await["state"], "draft", "untouched");
    // Not even a draft may hold a file that is not one of the user's uploads.
    let made_up = json!({"profile_id": profile, "content": {"parts": [{"text": "x", "media": [{"id": "00000000-0000-4000-8000-000000000000"}]}]}});
    let r = app.post_json("/api/v1/publishing/posts", &made_up).await;
    assert_eq!(r.status(), 422);
    let body: Value = r.json().await.unwrap();
    assert!(
        body["error"]["fields"]["parts[0].media[0]"]
            .as_str()
            .is_some_and(|m| m.contains("not one of your uploads")),
        "{body}"
    );
    let r = app
        .client
        .put(app.url(&format!("/api/v1/publishing/posts/{post}")))
        .json(&made_up)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422, "nor an edited one");
    let with_mine = json!({"profile_id": profile, "content": {"parts": [{"text": "x", "media": [{"id": img}]}]}});
    assert_eq!(
        app.post_json("/api/v1/publishing/posts", &with_mine)
            .await
            .status(),
        201,
        "the user's own upload is fine in a draft"
    );
}

/// Scheduling on a profile that cannot publish says so at once, and the day before the post is
/// due its owner gets one email and one ledger entry (not one a minute).
async fn a_post_on_a_profile_that_needs_reconnecting_is_flagged_and_warned_once(app: TestApp) {
    use thredops::with_pool;
    let (profile, _) = setup(&app, "lapsed").await;
    with_pool!(app.state.store, |p| sqlx::query(
        "UPDATE threads_profiles SET status = 'needs_reconnect' WHERE id = $1"
    )
    .bind(&profile)
    .execute(p)
    .await
    .map(|r| r.rows_affected()))
    .unwrap();
    let post = schedule_tomorrow(&app, &profile, &json!({"parts": [{"text": "Tomorrow"}]})).await;
    assert_eq!(post["state"], "scheduled");
    let note = post["note"].as_str().unwrap_or_default();
    assert!(note.contains("needs reconnecting"), "{post}");
    let id = post["id"].as_str().unwrap();
    let mails_before = app.state.mailer.outbox_messages().len();
    for _ in 0..2 {
        crate::connect::run_due_now(&app, thredops::publishing::SWEEP).await;
    }
    let mails = app.state.mailer.outbox_messages();
    assert_eq!(mails.len(), mails_before + 1, "one warning email");
    assert!(mails.last().unwrap().contains("lapsed@example.com"));
    let p = get_post(&app, id).await;
    let warned = p["timeline"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "reconnect_warned")
        .count();
    assert_eq!(warned, 1, "{p}");
    // A post on an active profile gets neither.
    let (active, _) = setup(&app, "active").await;
    let fine = schedule_tomorrow(&app, &active, &json!({"parts": [{"text": "Fine"}]})).await;
    assert!(fine["note"].is_null(), "{fine}");
}
