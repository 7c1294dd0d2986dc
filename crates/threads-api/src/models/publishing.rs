//! Results of publishing calls and the publishing quota (§5 of the reference).

use std::time::Duration;

use serde::{Deserialize, Deserializer, Serialize};

use super::enums::ContainerState;
use crate::ids::{ContainerId, MediaId};

/// `GET /{container-id}?fields=id,status,error_message`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContainerStatus {
    /// The container.
    pub id: ContainerId,
    /// Processing state.
    pub status: ContainerState,
    /// Why processing failed (`FAILED_DOWNLOADING_VIDEO`, ...), on `ERROR`.
    pub error_message: Option<String>,
}

/// What `create_container` produced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A container to publish (after it is `FINISHED`).
    Container(ContainerId),
    /// `auto_publish_text` published at once; this is the media id.
    Published(MediaId),
}

/// `DELETE /{media-id}` result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deleted {
    /// Whether Meta reports success.
    pub success: bool,
    /// The deleted id, when returned.
    pub deleted_id: Option<MediaId>,
}

/// `{"success":true}` replies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Success {
    /// Whether Meta reports success.
    pub success: bool,
}

/// Fields requested by [`crate::Session::publishing_limit`].
pub const QUOTA_FIELDS: &[&str] = &[
    "quota_usage",
    "config",
    "reply_quota_usage",
    "reply_config",
    "delete_quota_usage",
    "delete_config",
    "location_search_quota_usage",
    "location_search_config",
];

/// Usage of the 24 h action quotas (`/threads_publishing_limit`).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PublishingLimit {
    /// Posts published in the window.
    pub quota_usage: Option<u64>,
    /// Post quota.
    pub config: Option<QuotaConfig>,
    /// Replies published in the window.
    pub reply_quota_usage: Option<u64>,
    /// Reply quota.
    pub reply_config: Option<QuotaConfig>,
    /// Deletes in the window.
    pub delete_quota_usage: Option<u64>,
    /// Delete quota.
    pub delete_config: Option<QuotaConfig>,
    /// Location searches in the window.
    pub location_search_quota_usage: Option<u64>,
    /// Location search quota.
    pub location_search_config: Option<QuotaConfig>,
}

impl PublishingLimit {
    /// Posts left in the window, when both usage and total are known.
    pub fn posts_remaining(&self) -> Option<u64> {
        remaining(self.quota_usage, self.config.as_ref())
    }

    /// Replies left in the window, when both usage and total are known.
    pub fn replies_remaining(&self) -> Option<u64> {
        remaining(self.reply_quota_usage, self.reply_config.as_ref())
    }

    /// Deletes left in the window, when both usage and total are known.
    pub fn deletes_remaining(&self) -> Option<u64> {
        remaining(self.delete_quota_usage, self.delete_config.as_ref())
    }
}

fn remaining(used: Option<u64>, config: Option<&QuotaConfig>) -> Option<u64> {
    Some(config?.quota_total.saturating_sub(used?))
}

/// A quota's size and window.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct QuotaConfig {
    /// Actions allowed per window.
    pub quota_total: u64,
    /// The window (86,400 s).
    #[serde(deserialize_with = "seconds", serialize_with = "to_seconds")]
    pub quota_duration: Duration,
}

fn seconds<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
    u64::deserialize(d).map(Duration::from_secs)
}

fn to_seconds<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_secs())
}
