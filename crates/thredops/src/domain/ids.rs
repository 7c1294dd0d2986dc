//! Ids as types: a workspace's id cannot be passed where an account's is asked for, nor a post's
//! where a profile's is.
//!
//! Every id is stored as text; these wrap that text with no cost. They read as `&str` (`Deref`),
//! so code that only shows or forwards an id needs no change, and they are stored and serialised
//! as the plain string, so the database and the API are unchanged.
//!
//! Ids that more than one area passes around are declared here. An id that one area alone uses
//! is declared in that area with the same macro (`crate::domain::id_type!`).

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord,
            serde::Serialize, serde::Deserialize, sqlx::Type, schemars::JsonSchema,
        )]
        #[serde(transparent)]
        #[sqlx(transparent)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id read from storage or a request.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id's text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;

            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl From<String> for $name {
            fn from(text: String) -> Self {
                Self(text)
            }
        }

        impl From<&str> for $name {
            fn from(text: &str) -> Self {
                Self(text.to_owned())
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }

        impl PartialEq<String> for $name {
            fn eq(&self, other: &String) -> bool {
                &self.0 == other
            }
        }

        impl PartialEq<$name> for String {
            fn eq(&self, other: &$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<&$name> for String {
            fn eq(&self, other: &&$name) -> bool {
                self == &other.0
            }
        }

        impl PartialEq<$name> for &str {
            fn eq(&self, other: &$name) -> bool {
                *self == other.0
            }
        }

        impl From<&$name> for String {
            fn from(id: &$name) -> Self {
                id.0.clone()
            }
        }

        impl From<$name> for String {
            fn from(id: $name) -> Self {
                id.0
            }
        }

        // The session check's SQLite reads run on rusqlite (store/inline.rs).
        impl rusqlite::types::FromSql for $name {
            fn column_result(
                value: rusqlite::types::ValueRef<'_>,
            ) -> rusqlite::types::FromSqlResult<Self> {
                String::column_result(value).map(Self)
            }
        }

        impl rusqlite::types::ToSql for $name {
            fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
                self.0.to_sql()
            }
        }

        impl PartialEq<$name> for str {
            fn eq(&self, other: &$name) -> bool {
                self == other.0
            }
        }
    };
}

pub(crate) use id_type;

id_type!(
    /// An account: a person who signs in.
    UserId
);
id_type!(
    /// A workspace: the id of the account that owns it, under which everything it holds is
    /// stored (docs/workspaces.md).
    WorkspaceId
);

id_type!(
    /// A connected Threads profile, as ThredOps numbers it.
    ProfileId
);
id_type!(
    /// A post ThredOps writes, schedules and publishes (a draft before Threads knows it).
    PostId
);
id_type!(
    /// A Threads media object, as Threads numbers it: a published post, reply or quote.
    MediaId
);
id_type!(
    /// A Threads account, as Threads numbers it (the `id` of `/me`).
    ThreadsUserId
);
id_type!(
    /// A support conversation (live chat or ticket).
    ConversationId
);
id_type!(
    /// A Deep Audit run (the strategist runs it, billing counts it against the plan).
    AuditId
);
id_type!(
    /// A signed-in session: the `sid` of a session token.
    SessionId
);

impl WorkspaceId {
    /// The workspace an account owns.
    pub fn owned_by(user: &UserId) -> Self {
        Self(user.0.clone())
    }

    /// The account that owns this workspace (whose settings, such as its timezone, the
    /// workspace's own jobs read).
    pub fn owner(&self) -> UserId {
        UserId(self.0.clone())
    }

    /// Whether `user` is the account that owns this workspace.
    pub fn is_owned_by(&self, user: &UserId) -> bool {
        self.0 == user.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_serialises_as_its_text() {
        let id = WorkspaceId::new("p-1");
        assert_eq!(&*id, "p-1");
        assert_eq!(id, "p-1");
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"p-1\"");
        let back: WorkspaceId = serde_json::from_str("\"p-1\"").unwrap();
        assert_eq!(back, id);
        let owner = UserId::new("u-1");
        assert_eq!(WorkspaceId::owned_by(&owner).as_str(), owner.as_str());
    }
}
