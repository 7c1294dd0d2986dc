//! What the publisher has obtained from Threads so far, stored on the post as JSON (ids only).

use serde::{Deserialize, Serialize};

use threads_api::ContainerId;

use crate::domain::MediaId;

/// The ids obtained so far, per part. Stored as JSON on the post.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Progress {
    /// One entry per part.
    #[serde(default)]
    pub parts: Vec<PartProgress>,
}

/// Progress of one part.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct PartProgress {
    /// Carousel item containers created so far.
    #[serde(default)]
    pub children: Vec<ContainerId>,
    /// The container to publish.
    pub container_id: Option<ContainerId>,
    /// When (Threads clock, Unix seconds) the call that publishes started.
    pub publish_started: Option<i64>,
    /// The published media id.
    pub media_id: Option<MediaId>,
    /// Its permalink.
    pub permalink: Option<String>,
}

impl Progress {
    /// As stored.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| "{}".into())
    }

    /// Parses stored progress (unreadable progress counts as none).
    pub fn parse(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// Keeps the parts already on Threads and forgets everything after them, so a retried or
    /// edited chain continues where it stopped instead of publishing its first parts again. A
    /// part whose publishing call started but whose answer never came is kept with its
    /// container: only asking Threads about that container can tell whether it went out.
    pub fn keep_published(mut self) -> Self {
        let done = self
            .parts
            .iter()
            .take_while(|p| p.media_id.is_some())
            .count();
        let unknown = self
            .parts
            .get(done)
            .is_some_and(PartProgress::outcome_unknown);
        self.parts.truncate(done + usize::from(unknown));
        self
    }

    /// The first part whose publishing call started without an answer, if any.
    pub fn unresolved(&self) -> Option<usize> {
        self.parts.iter().position(PartProgress::outcome_unknown)
    }
}

impl PartProgress {
    /// Its publishing call started and no media id came back: it may or may not be on Threads.
    pub fn outcome_unknown(&self) -> bool {
        self.publish_started.is_some() && self.media_id.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_keep_the_parts_already_on_threads() {
        let part = |media: Option<&str>| PartProgress {
            container_id: Some("c".into()),
            media_id: media.map(MediaId::from),
            ..PartProgress::default()
        };
        let p = Progress {
            parts: vec![part(Some("1")), part(None), part(Some("3"))],
        };
        let kept = p.keep_published();
        assert_eq!(kept.parts.len(), 1);
        assert_eq!(kept.parts[0].media_id.as_deref(), Some("1"));
        assert!(Progress::parse("not json").parts.is_empty());
    }

    #[test]
    fn a_part_that_may_be_on_threads_keeps_its_container() {
        let interrupted = PartProgress {
            container_id: Some("c2".into()),
            publish_started: Some(100),
            ..PartProgress::default()
        };
        let p = Progress {
            parts: vec![
                PartProgress {
                    media_id: Some("1".into()),
                    ..PartProgress::default()
                },
                interrupted,
                PartProgress::default(),
            ],
        };
        assert_eq!(p.unresolved(), Some(1));
        let kept = p.keep_published();
        assert_eq!(kept.parts.len(), 2);
        assert_eq!(
            kept.parts[1].container_id.as_ref().map(ContainerId::as_str),
            Some("c2")
        );
    }
}
