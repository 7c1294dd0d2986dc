//! JSON schemas of the publishing API, for the OpenAPI document.

use serde_json::{Value, json};

use super::super::registry::{integer, nullable, object, string};

pub(in crate::http::api) fn composition_schema() -> Value {
    // Like every field of a composition, an id may be left out of a draft; the preflight names it.
    let media = object(&[("id", string()), ("alt_text", nullable(string()))], &[]);
    let part = object(
        &[
            ("text", string()),
            (
                "media",
                // A draft keeps a longer list too; the preflight and scheduling refuse more than 20.
                json!({"type": "array", "items": media, "description": "At most 20 to publish (a carousel holds 2 to 20)"}),
            ),
            ("link_attachment", nullable(string())),
            (
                "poll_options",
                json!({"type": ["array", "null"], "items": {"type": "string"}}),
            ),
        ],
        &[],
    );
    object(
        &[
            (
                "parts",
                json!({"type": "array", "items": part, "description": "The post, then each reply of a chain"}),
            ),
            (
                "reply_control",
                // Drafts keep whatever was typed; the preflight names an unknown value.
                nullable(
                    json!({"type": "string", "description": "everyone, accounts_you_follow, mentioned_only, parent_post_author_only or followers_only"}),
                ),
            ),
            ("topic_tag", nullable(string())),
            ("quote_post_id", nullable(string())),
            (
                "reply_to_id",
                nullable(
                    json!({"type": "string", "description": "Id of a Threads post the top-level post replies to"}),
                ),
            ),
            (
                "first_reply",
                nullable(object(
                    &[
                        ("text", string()),
                        (
                            "delay_minutes",
                            json!({"type": "integer", "description": "Minutes after publication, 0 to 10080"}),
                        ),
                    ],
                    &[],
                )),
            ),
            ("auto_plug", nullable(auto_plug_schema())),
            (
                "no_auto_plug",
                json!({"type": "boolean", "description": "Leave out the profile's default auto-plug"}),
            ),
        ],
        &[],
    )
}

/// An auto-plug rule: reply `text` once when the post passes `threshold` likes or views within
/// `window_hours` of publication.
pub(in crate::http::api) fn auto_plug_schema() -> Value {
    object(
        &[
            (
                "metric",
                json!({"type": "string", "enum": ["likes", "views"]}),
            ),
            (
                "threshold",
                json!({"type": "integer", "description": "At least 1"}),
            ),
            (
                "window_hours",
                json!({"type": "integer", "description": "1 to 168"}),
            ),
            ("text", string()),
        ],
        &[],
    )
}

pub(super) fn input_schema() -> Value {
    object(
        &[
            ("profile_id", string()),
            ("content", composition_schema()),
            (
                "action",
                nullable(json!({"type": "string", "enum": ["draft", "schedule", "queue"]})),
            ),
            (
                "local_time",
                nullable(
                    json!({"type": "string", "description": "Wall-clock time in your time zone, 2026-03-29T09:00"}),
                ),
            ),
        ],
        &["profile_id", "content"],
    )
}

pub(super) fn post_schema() -> Value {
    let nullable = |t: &str| json!({"type": [t, "null"]});
    object(
        &[
            ("id", string()),
            ("profile_id", string()),
            (
                "state",
                json!({"type": "string", "enum": ["draft", "scheduled", "container_created", "ready", "published", "failed", "cancelled"]}),
            ),
            ("kind", string()),
            ("content", composition_schema()),
            ("scheduled_at", nullable("integer")),
            ("local_time", nullable("string")),
            ("timezone", nullable("string")),
            ("media_id", nullable("string")),
            ("permalink", nullable("string")),
            ("note", nullable("string")),
            ("failure", nullable("string")),
            ("attempts", integer()),
            (
                "follow_ups",
                json!({"type": "array", "items": object(&[
                    ("kind", json!({"type": "string", "enum": ["first_reply", "auto_plug"]})),
                    ("state", json!({"type": "string", "enum": ["watching", "sent", "missed"]})),
                    ("post_id", nullable("string")),
                    ("value", nullable("integer")),
                    ("summary", string()),
                ], &["kind", "state", "summary"])}),
            ),
            (
                "follow_up_of",
                json!({"oneOf": [object(&[
                    ("kind", json!({"type": "string", "enum": ["first_reply", "auto_plug"]})),
                    ("parent_post_id", string()),
                    ("label", string()),
                ], &["kind", "parent_post_id", "label"]), {"type": "null"}]}),
            ),
        ],
        &["id", "profile_id", "state", "kind", "content"],
    )
}

pub(super) fn upload_schema() -> Value {
    object(
        &[
            ("id", string()),
            ("kind", string()),
            ("content_type", string()),
            ("file_name", string()),
            ("bytes", integer()),
            ("width", json!({"type": ["integer", "null"]})),
            ("height", json!({"type": ["integer", "null"]})),
        ],
        &["id", "kind"],
    )
}

pub(super) fn slots_schema() -> Value {
    json!({"type": "array", "items": object(&[("day", string()), ("time", string())], &["day", "time"])})
}

pub(super) fn suggestions_schema() -> Value {
    let cell = object(
        &[
            ("weekday", integer()),
            ("hour", integer()),
            ("posts", integer()),
            ("views_vs_typical", json!({"type": "number"})),
            (
                "basis",
                json!({"type": "string", "enum": ["hour", "weekday", "weekday_and_hour", "weekday_hour"]}),
            ),
            ("evidence_posts", integer()),
        ],
        &["weekday", "hour", "posts", "views_vs_typical"],
    );
    let suggestion = object(
        &[
            (
                "local_time",
                json!({"type": "string", "description": "Wall-clock time in your time zone, as local_time of a post takes it"}),
            ),
            ("scheduled_at", integer()),
            ("display", string()),
            ("why", string()),
            ("cell", json!({"oneOf": [cell, {"type": "null"}]})),
        ],
        &["local_time", "scheduled_at", "display", "why"],
    );
    object(
        &[
            ("profile_id", string()),
            ("timezone", string()),
            (
                "source",
                json!({"type": "string", "enum": ["best_times", "audience_active_hours", "posting_slots", "none"]}),
            ),
            ("enough_data", json!({"type": "boolean"})),
            ("tests", integer()),
            ("posts_analysed", integer()),
            ("message", string()),
            ("suggestions", json!({"type": "array", "items": suggestion})),
        ],
        &["source", "enough_data", "message", "suggestions"],
    )
}
