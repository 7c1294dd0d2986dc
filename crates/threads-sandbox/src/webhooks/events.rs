//! Which webhook events happened in a span of sandbox time (§8.1): replies from other users
//! under creators' posts (`moderate`/`replies`) and public posts mentioning a creator
//! (`interaction`/`mentions`).

use serde_json::{Value, json};

use crate::ids::ObjectRef;
use crate::public::{PublicWorld, render as public_render};
use crate::world::World;
use crate::world::engagement::{ACCRUAL_SECS, accrued, age_of_unit};
use crate::world::render;

/// Fields of a reply in a `replies` event, as in the reference's example.
const REPLY_FIELDS: &[&str] = &[
    "id",
    "username",
    "text",
    "media_type",
    "permalink",
    "replied_to",
    "root_post",
    "shortcode",
    "timestamp",
];
/// Fields of the media object in a `mentions` event.
const MENTION_FIELDS: &[&str] = &[
    "id",
    "username",
    "text",
    "media_type",
    "permalink",
    "shortcode",
    "timestamp",
];

/// One event, before it is wrapped in the delivery envelope.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// When it happened (the delivery's `time`).
    pub ts: i64,
    /// `moderate` or `interaction`.
    pub topic: &'static str,
    /// `replies` or `mentions`.
    pub field: &'static str,
    /// The replied-to media id, or the mentioned user id.
    pub target_id: String,
    /// The `value` object.
    pub value: Value,
}

fn strings(fields: &[&str]) -> Vec<String> {
    fields.iter().map(|f| (*f).to_owned()).collect()
}

/// Events in `(from, to]`, oldest first.
pub fn between(world: &World, public: &PublicWorld, from: i64, to: i64) -> Vec<Event> {
    let mut out = replies(world, from, to);
    out.extend(mentions(world, public, from, to));
    out.sort_by(|a, b| a.ts.cmp(&b.ts).then_with(|| a.target_id.cmp(&b.target_id)));
    out
}

fn replies(world: &World, from: i64, to: i64) -> Vec<Event> {
    let fields = strings(REPLY_FIELDS);
    let mut out = Vec::new();
    for c in &world.creators {
        let end = c.visible_end(to);
        // Posts older than the accrual span gain no more replies.
        let start = c.posts[..end].partition_point(|p| p.ts <= from - ACCRUAL_SECS);
        for (post, p) in c.posts.iter().enumerate().take(end).skip(start) {
            if p.deleted {
                continue;
            }
            let (seen, now) = (
                accrued(p.fin.replies, from - p.ts),
                accrued(p.fin.replies, to - p.ts),
            );
            for reply in seen..now {
                let r = ObjectRef::Incoming {
                    creator: c.index,
                    post,
                    reply: reply as usize,
                };
                let Ok(mut value) = render::any(world, r, &fields, to, c.user_id) else {
                    continue;
                };
                // The reference's example names the root post's owner beside its id.
                if let Some(root) = value.get_mut("root_post").and_then(Value::as_object_mut) {
                    root.insert("owner_id".into(), json!(c.user_id.to_string()));
                    root.insert("username".into(), json!(c.username));
                }
                out.push(Event {
                    ts: p.ts + age_of_unit(p.fin.replies, reply + 1),
                    topic: "moderate",
                    field: "replies",
                    target_id: ObjectRef::Post {
                        creator: c.index,
                        post,
                    }
                    .id()
                    .to_string(),
                    value: Value::Object(value),
                });
            }
        }
    }
    out
}

fn mentions(world: &World, public: &PublicWorld, from: i64, to: i64) -> Vec<Event> {
    let fields = strings(MENTION_FIELDS);
    let mut out = Vec::new();
    for (author, post) in public.posts_at(to).filter(|(_, p)| p.ts > from) {
        for name in &post.mentions {
            let Some(c) = world.creators.iter().find(|c| &c.username == name) else {
                continue;
            };
            let Ok(value) = public_render::post(author, post, &fields) else {
                continue;
            };
            out.push(Event {
                ts: post.ts,
                topic: "interaction",
                field: "mentions",
                target_id: c.user_id.to_string(),
                value: Value::Object(value),
            });
        }
    }
    out
}

impl Event {
    /// The delivery body of §8.1 (`values` is an object, not Graph's `entry[].changes[]`).
    pub fn body(&self, app_id: &str) -> Value {
        json!({
            "app_id": app_id,
            "topic": self.topic,
            "target_id": self.target_id,
            "time": self.ts,
            "subscription_id": "1",
            "has_uid_field": false,
            "values": {"field": self.field, "value": self.value},
        })
    }
}
