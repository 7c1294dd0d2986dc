//! Threads webhook deliveries (§8.1): `{"app_id","topic","target_id","time","values":{"field","value"}}`.
//!
//! `values` is one object, not Graph's `entry[].changes[]`. A receiver must verify the
//! `X-Hub-Signature-256` header on the raw body before parsing it (Meta's Threads sample does
//! not, so whether Meta sends it is unconfirmed; ThredOps requires it).

use serde::Deserialize;
use serde_json::Value;

use super::media::Media;

/// One delivery, as posted to the callback URL.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookDelivery {
    /// `moderate` (replies, delete) or `interaction` (mentions, publish).
    pub topic: String,
    /// The replied-to media id (`replies`) or the mentioned user id (`mentions`).
    #[serde(deserialize_with = "id_text")]
    pub target_id: String,
    /// When the event happened (Unix seconds).
    #[serde(default)]
    pub time: Option<i64>,
    /// The event itself.
    pub values: WebhookValues,
}

/// The `values` object of a delivery.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct WebhookValues {
    /// `replies`, `mentions`, `delete` or `publish`.
    pub field: String,
    /// The media object (replies, mentions) or the event's own shape (delete, publish).
    pub value: Value,
}

/// What a delivery means for a receiver of replies and mentions.
#[derive(Debug, Clone, PartialEq)]
pub enum WebhookEvent {
    /// Someone replied under a post; `root_owner_id` is the root post's owner when given.
    Reply {
        /// The reply.
        media: Box<Media>,
        /// `root_post.owner_id`, the account whose post was replied to.
        root_owner_id: Option<String>,
    },
    /// A public post mentioned `user_id`.
    Mention {
        /// The mentioning post.
        media: Box<Media>,
        /// The mentioned user.
        user_id: String,
    },
    /// Another field (delete, publish) or a value that is not a media object.
    Other,
}

fn id_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    // Ids are strings in the reference; a number is accepted too (§10).
    match Value::deserialize(d)? {
        Value::String(s) => Ok(s),
        Value::Number(n) => Ok(n.to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected an id, found {other}"
        ))),
    }
}

impl WebhookDelivery {
    /// Parses a (verified) body.
    pub fn parse(body: &[u8]) -> Result<Self, serde_json::Error> {
        serde_json::from_slice(body)
    }

    /// The event, for replies and mentions.
    pub fn event(&self) -> WebhookEvent {
        let media = || serde_json::from_value::<Media>(self.values.value.clone()).ok();
        match self.values.field.as_str() {
            "replies" => {
                let Some(media) = media() else {
                    return WebhookEvent::Other;
                };
                let root_owner_id = self.values.value["root_post"]["owner_id"]
                    .as_str()
                    .map(str::to_owned)
                    .or_else(|| {
                        self.values.value["root_post"]["owner_id"]
                            .as_u64()
                            .map(|n| n.to_string())
                    });
                WebhookEvent::Reply {
                    media: Box::new(media),
                    root_owner_id,
                }
            }
            "mentions" => match media() {
                Some(media) => WebhookEvent::Mention {
                    media: Box::new(media),
                    user_id: self.target_id.clone(),
                },
                None => WebhookEvent::Other,
            },
            _ => WebhookEvent::Other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reference_reply_example_is_a_reply_to_its_root_owner() {
        let body = br#"{"app_id":"123456","topic":"moderate","target_id":"78901","time":1723226877,"subscription_id":"234567","has_uid_field":false,
 "values":{"field":"replies","value":{"id":"8901234","username":"test_username","text":"Reply","media_type":"TEXT_POST",
  "permalink":"https://www.threads.net/@test_username/post/Pp","replied_to":{"id":"567890"},
  "root_post":{"id":"123456","owner_id":"123456","username":"test_username_2"},"shortcode":"Pp","timestamp":"2024-08-07T10:33:16+0000"}}}"#;
        let d = WebhookDelivery::parse(body).unwrap();
        assert_eq!(d.target_id, "78901");
        match d.event() {
            WebhookEvent::Reply {
                media,
                root_owner_id,
            } => {
                assert_eq!(media.id.as_str(), "8901234");
                assert_eq!(media.text.as_deref(), Some("Reply"));
                assert_eq!(
                    media.replied_to.as_ref().map(|r| r.id.as_str()),
                    Some("567890")
                );
                assert_eq!(root_owner_id.as_deref(), Some("123456"));
            }
            other => panic!("not a reply: {other:?}"),
        }
    }

    #[test]
    fn a_mention_names_the_mentioned_user_and_other_fields_are_ignored() {
        let body = br#"{"topic":"interaction","target_id":17841400000000001,"time":1,"values":{"field":"mentions","value":{"id":"5","text":"hi @me","username":"ada"}}}"#;
        let d = WebhookDelivery::parse(body).unwrap();
        assert!(
            matches!(d.event(), WebhookEvent::Mention { ref user_id, .. } if user_id == "17841400000000001")
        );
        let body = br#"{"topic":"moderate","target_id":"1","values":{"field":"delete","value":{"id":"1","deleted_at":"x"}}}"#;
        assert_eq!(
            WebhookDelivery::parse(body).unwrap().event(),
            WebhookEvent::Other
        );
    }
}
