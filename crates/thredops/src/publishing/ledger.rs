//! The kinds of entry in a post's ledger (`publish_events.kind`), stored by name.

use serde::Serialize;

/// What a ledger entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EventKind {
    /// Made (a draft, or scheduled).
    Created,
    /// Its content or time was changed.
    Edited,
    /// Given a time (or a queue slot).
    Scheduled,
    /// Moved back to drafts.
    Unscheduled,
    /// Cancelled.
    Cancelled,
    /// Its instant moved after the owner's zone changed.
    Retimed,
    /// Its owner was warned that its profile needs reconnecting (once per post).
    ReconnectWarned,
    /// Threads accepted a part and is processing its media.
    ContainerCreated,
    /// Threads finished processing the media.
    Ready,
    /// Threads discarded a prepared container; it is prepared again.
    Expired,
    /// A part found already on Threads after an interruption was adopted.
    Recovered,
    /// An attempt failed and is retried.
    Retry,
    /// It waits (e.g. for the daily quota).
    Deferred,
    /// It failed, with the reason.
    Failed,
    /// It is on Threads.
    Published,
}

impl EventKind {
    /// Every kind.
    pub const ALL: [EventKind; 15] = [
        EventKind::Created,
        EventKind::Edited,
        EventKind::Scheduled,
        EventKind::Unscheduled,
        EventKind::Cancelled,
        EventKind::Retimed,
        EventKind::ReconnectWarned,
        EventKind::ContainerCreated,
        EventKind::Ready,
        EventKind::Expired,
        EventKind::Recovered,
        EventKind::Retry,
        EventKind::Deferred,
        EventKind::Failed,
        EventKind::Published,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            EventKind::Created => "created",
            EventKind::Edited => "edited",
            EventKind::Scheduled => "scheduled",
            EventKind::Unscheduled => "unscheduled",
            EventKind::Cancelled => "cancelled",
            EventKind::Retimed => "retimed",
            EventKind::ReconnectWarned => "reconnect_warned",
            EventKind::ContainerCreated => "container_created",
            EventKind::Ready => "ready",
            EventKind::Expired => "expired",
            EventKind::Recovered => "recovered",
            EventKind::Retry => "retry",
            EventKind::Deferred => "deferred",
            EventKind::Failed => "failed",
            EventKind::Published => "published",
        }
    }

    /// Reads a stored name.
    pub fn parse(s: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

crate::store::decode_by_name!(EventKind, "ledger entry kind");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_match_serde() {
        for kind in EventKind::ALL {
            assert_eq!(EventKind::parse(kind.as_str()), Some(kind));
            assert_eq!(
                serde_json::to_value(kind).unwrap(),
                serde_json::json!(kind.as_str())
            );
        }
        assert_eq!(EventKind::parse("review"), None);
    }
}
