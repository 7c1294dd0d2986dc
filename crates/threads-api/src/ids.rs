//! Typed identifiers.
//!
//! Meta's ids are numeric strings; wrapping each kind in its own type stops a container id from
//! being published as if it were a media id. Deserialisation accepts a JSON string or a bare
//! number because the code exchange returns `user_id` as a number above 2^53 (§0 of the reference),
//! which must never pass through `f64`.

use std::fmt;

use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

macro_rules! string_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(String);

        impl $name {
            /// Wraps an id as returned by the API.
            pub fn new(id: impl Into<String>) -> Self {
                Self(id.into())
            }

            /// The id as sent on the wire.
            pub fn as_str(&self) -> &str {
                &self.0
            }

            /// Unwraps the id.
            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({:?})", stringify!($name), self.0)
            }
        }

        impl From<String> for $name {
            fn from(id: String) -> Self {
                Self(id)
            }
        }

        impl From<&str> for $name {
            fn from(id: &str) -> Self {
                Self(id.to_owned())
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(&self.0)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_any(IdVisitor).map(Self)
            }
        }
    };
}

string_id!(
    /// A Threads user id (`"17841405793187218"`). `me` may stand in for the token's own user.
    UserId
);
string_id!(
    /// A published media object: a post, reply, repost or carousel.
    MediaId
);
string_id!(
    /// An unpublished media container created by `POST /{user-id}/threads`.
    ContainerId
);

string_id!(
    /// A place from `/location_search`, used as `location_id`.
    LocationId
);

impl UserId {
    /// The `me` alias for the token's own user.
    pub fn me() -> Self {
        Self("me".to_owned())
    }
}

/// Accepts a JSON string or an integer and keeps its exact digits.
struct IdVisitor;

impl Visitor<'_> for IdVisitor {
    type Value = String;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an id as a string or an unsigned integer")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
        Ok(v.to_owned())
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
        Ok(v)
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
        Ok(v.to_string())
    }

    fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
        if v < 0 {
            return Err(E::invalid_value(de::Unexpected::Signed(v), &self));
        }
        Ok(v.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bare_number_above_2_pow_53_keeps_every_digit() {
        let id: UserId = serde_json::from_str("17841405793187218").unwrap();
        assert_eq!(id.as_str(), "17841405793187218");
    }

    #[test]
    fn a_string_id_is_taken_as_is() {
        let id: MediaId = serde_json::from_str("\"1234567\"").unwrap();
        assert_eq!(id, MediaId::from("1234567"));
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"1234567\"");
    }

    #[test]
    fn a_negative_or_fractional_id_is_rejected() {
        assert!(serde_json::from_str::<UserId>("-5").is_err());
        assert!(serde_json::from_str::<UserId>("1.5").is_err());
    }
}
