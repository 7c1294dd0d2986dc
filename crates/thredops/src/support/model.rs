//! The support desk's vocabulary: statuses, authors, ticket categories and message text, each
//! parsed once at the edge.

use serde::{Deserialize, Serialize};

/// Longest message body, in characters (a WebSocket frame is capped a little above this).
pub const MAX_MESSAGE_CHARS: usize = 4000;

/// Where a conversation stands in the agents' workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Waiting for an agent.
    Open,
    /// Waiting for the customer.
    Pending,
    /// Hidden until a time or the customer's next message.
    Snoozed,
    /// Done; a customer reply reopens it.
    Resolved,
}

impl Status {
    /// Every status, in workflow order.
    pub const ALL: [Status; 4] = [
        Status::Open,
        Status::Pending,
        Status::Snoozed,
        Status::Resolved,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Pending => "pending",
            Status::Snoozed => "snoozed",
            Status::Resolved => "resolved",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A stored name that is not one of the enum's (the row cannot be read as it is).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown support {what}: {name}")]
pub struct UnknownName {
    what: &'static str,
    name: String,
}

impl TryFrom<String> for Status {
    type Error = UnknownName;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or(UnknownName {
            what: "status",
            name,
        })
    }
}

/// What a conversation is: the live chat or a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The live chat (one per customer).
    Chat,
    /// A ticket with a category and subject.
    Ticket,
}

impl Kind {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Chat => "chat",
            Kind::Ticket => "ticket",
        }
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Option<Self> {
        [Kind::Chat, Kind::Ticket]
            .into_iter()
            .find(|v| v.as_str() == s)
    }
}

impl TryFrom<String> for Kind {
    type Error = UnknownName;
    fn try_from(name: String) -> Result<Self, Self::Error> {
        Self::parse(&name).ok_or(UnknownName { what: "kind", name })
    }
}

/// Who wrote a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Author {
    /// The visitor or creator.
    Customer,
    /// A support agent, visible to the customer.
    Agent,
    /// A private note between agents, never shown to the customer.
    Note,
    /// An automatic line (e.g. "Alex joined").
    System,
}

impl Author {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Author::Customer => "customer",
            Author::Agent => "agent",
            Author::Note => "note",
            Author::System => "system",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        [
            Author::Customer,
            Author::Agent,
            Author::Note,
            Author::System,
        ]
        .into_iter()
        .find(|v| v.as_str() == s)
    }

    /// Whether the customer may see messages by this author.
    pub fn customer_visible(self) -> bool {
        self != Author::Note
    }
}

/// Ticket categories. `DataDeletion` feeds the privacy area's deletion flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Category {
    /// "Data deletion request": the privacy policy's promised route to erase everything.
    #[serde(rename = "data_deletion")]
    DataDeletion,
    /// Billing and plans.
    #[serde(rename = "billing")]
    Billing,
    /// Connecting or syncing Threads profiles.
    #[serde(rename = "threads_connection")]
    ThreadsConnection,
    /// Something does not work.
    #[serde(rename = "bug")]
    Bug,
    /// Anything else.
    #[serde(rename = "other")]
    Other,
}

impl Category {
    /// Every category with its label, in the order forms show them.
    pub const ALL: [(Category, &'static str); 5] = [
        (Category::DataDeletion, "Data deletion request"),
        (Category::Billing, "Billing and plans"),
        (Category::ThreadsConnection, "Connecting Threads"),
        (Category::Bug, "Something is broken"),
        (Category::Other, "Something else"),
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Category::DataDeletion => "data_deletion",
            Category::Billing => "billing",
            Category::ThreadsConnection => "threads_connection",
            Category::Bug => "bug",
            Category::Other => "other",
        }
    }

    /// The label people read.
    pub fn label(self) -> &'static str {
        Self::ALL
            .iter()
            .find(|(c, _)| *c == self)
            .map_or("", |(_, l)| l)
    }

    /// Parses a stored or submitted name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().map(|(c, _)| *c).find(|c| c.as_str() == s)
    }
}

/// A message body: trimmed, not empty, at most [`MAX_MESSAGE_CHARS`] characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageText(String);

impl MessageText {
    /// Parses what a person typed; the error says what to fix.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let text = raw.trim();
        if text.is_empty() {
            return Err("Write a message first.".into());
        }
        let chars = text.chars().count();
        if chars > MAX_MESSAGE_CHARS {
            return Err(format!(
                "Messages can be at most {MAX_MESSAGE_CHARS} characters; this one has {chars}."
            ));
        }
        Ok(Self(text.to_owned()))
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A client's idempotency key for a message: up to 64 visible ASCII characters.
pub fn parse_client_id(raw: Option<&str>) -> Result<Option<super::ClientMessageId>, String> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) if s.len() <= 64 && s.bytes().all(|b| b.is_ascii_graphic()) => Ok(Some(s.into())),
        Some(_) => Err("client_id must be at most 64 visible ASCII characters.".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_text_is_trimmed_and_bounded() {
        assert_eq!(MessageText::parse("  hi \n").unwrap().as_str(), "hi");
        assert!(MessageText::parse("   ").is_err());
        assert!(MessageText::parse(&"é".repeat(MAX_MESSAGE_CHARS)).is_ok());
        let err = MessageText::parse(&"a".repeat(MAX_MESSAGE_CHARS + 1)).unwrap_err();
        assert!(err.contains("4001"), "{err}");
    }

    #[test]
    fn names_round_trip() {
        for s in Status::ALL {
            assert_eq!(Status::parse(s.as_str()), Some(s));
        }
        for (c, _) in Category::ALL {
            assert_eq!(Category::parse(c.as_str()), Some(c));
        }
        assert_eq!(Category::DataDeletion.label(), "Data deletion request");
        assert_eq!(Status::parse("closed"), None);
    }

    #[test]
    fn client_ids_are_short_and_visible() {
        assert_eq!(parse_client_id(Some("a-1")).unwrap(), Some("a-1".into()));
        assert_eq!(parse_client_id(Some("")).unwrap(), None);
        assert!(parse_client_id(Some("a b")).is_err());
        assert!(parse_client_id(Some(&"x".repeat(65))).is_err());
    }
}
