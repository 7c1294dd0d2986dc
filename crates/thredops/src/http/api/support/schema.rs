//! JSON schemas of the support API, for the OpenAPI document.

use serde_json::{Value, json};

use crate::http::api::registry::{boolean, integer, object, string};

fn nullable(t: &str) -> Value {
    json!({"type": [t, "null"]})
}

/// One message.
pub fn message() -> Value {
    object(
        &[
            ("id", integer()),
            ("conversation_id", string()),
            (
                "author",
                json!({"type": "string", "enum": ["customer", "agent", "note", "system"]}),
            ),
            ("agent_name", nullable("string")),
            ("client_id", nullable("string")),
            ("body", string()),
            ("created_at", integer()),
            ("attachment", attachment()),
        ],
        &["id", "conversation_id", "author", "body", "created_at"],
    )
}

/// The image sent with a message, or null.
fn attachment() -> Value {
    let mut schema = object(
        &[
            ("id", string()),
            ("content_type", string()),
            ("file_name", string()),
            ("bytes", integer()),
            ("width", integer()),
            ("height", integer()),
            ("url", string()),
        ],
        &[
            "id",
            "content_type",
            "file_name",
            "bytes",
            "width",
            "height",
            "url",
        ],
    );
    schema["type"] = json!(["object", "null"]);
    schema
}

/// Messages, oldest first.
pub fn messages() -> Value {
    json!({"type": "array", "items": message()})
}

/// A chat or ticket.
pub fn conversation() -> Value {
    object(
        &[
            ("id", string()),
            ("user_id", nullable("string")),
            (
                "kind",
                json!({"type": "string", "enum": ["chat", "ticket"]}),
            ),
            ("category", nullable("string")),
            ("subject", string()),
            (
                "status",
                json!({"type": "string", "enum": ["open", "pending", "snoozed", "resolved"]}),
            ),
            ("snoozed_until", nullable("integer")),
            ("assignee_id", nullable("string")),
            ("contact_email", nullable("string")),
            ("customer_last_read", integer()),
            ("agent_last_read", integer()),
            ("created_at", integer()),
            ("updated_at", integer()),
            ("last_message_at", nullable("integer")),
        ],
        &["id", "kind", "status", "created_at"],
    )
}

/// A conversation with its messages.
pub fn thread() -> Value {
    object(
        &[("conversation", conversation()), ("messages", messages())],
        &["conversation", "messages"],
    )
}

/// The customer's chat as opened by the widget.
pub fn chat() -> Value {
    object(
        &[
            ("conversation_id", string()),
            ("status", string()),
            ("messages", messages()),
            ("agents_online", boolean()),
            ("unread", integer()),
            ("email", nullable("string")),
            ("signed_in", boolean()),
        ],
        &["conversation_id", "messages", "agents_online", "unread"],
    )
}

/// What an agent sees beside a conversation.
pub fn detail() -> Value {
    object(
        &[
            ("conversation", conversation()),
            ("messages", messages()),
            (
                "customer",
                json!({"type": "object", "description": "Account email, plan, status and dates; never Threads data"}),
            ),
        ],
        &["conversation", "messages", "customer"],
    )
}

/// The customer's Threads profiles, opened by an agent.
pub fn threads_data() -> Value {
    let profile = object(
        &[
            ("username", string()),
            ("status", string()),
            ("last_sync_at", nullable("integer")),
            ("followers_count", nullable("integer")),
            ("posts", integer()),
        ],
        &["username", "status", "posts"],
    );
    object(
        &[
            ("conversation_id", string()),
            ("profiles", json!({"type": "array", "items": profile})),
        ],
        &["conversation_id", "profiles"],
    )
}
