//! String enums from the API. Each keeps unknown values in `Other` so a new value from Meta
//! never breaks decoding a whole page.

macro_rules! string_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident = $wire:literal,)+ }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $($(#[$vdoc])* $variant,)+
            /// A value this client does not know yet, kept verbatim.
            Other(String),
        }

        impl $name {
            /// The value as sent on the wire.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $wire,)+
                    Self::Other(s) => s,
                }
            }

            /// Parses a wire value; unknown values become `Other`.
            pub fn from_wire(s: &str) -> Self {
                match s {
                    $($wire => Self::$variant,)+
                    other => Self::Other(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                let raw = <std::borrow::Cow<'de, str> as serde::Deserialize>::deserialize(d)?;
                Ok(Self::from_wire(&raw))
            }
        }
    };
}

string_enum!(
    /// Read-side `media_type` of a media object.
    MediaType {
        /// Text, GIF and poll posts.
        TextPost = "TEXT_POST",
        /// A single image.
        Image = "IMAGE",
        /// A single video.
        Video = "VIDEO",
        /// A carousel of images and videos.
        CarouselAlbum = "CAROUSEL_ALBUM",
        /// An audio post.
        Audio = "AUDIO",
        /// A repost of another post (only in the user's own list).
        RepostFacade = "REPOST_FACADE",
    }
);

string_enum!(
    /// Who may reply, as read back in `reply_audience`.
    ReplyAudience {
        /// Anyone.
        Everyone = "EVERYONE",
        /// Accounts the author follows.
        AccountsYouFollow = "ACCOUNTS_YOU_FOLLOW",
        /// Accounts mentioned in the post.
        MentionedOnly = "MENTIONED_ONLY",
        /// Only the author of the parent post.
        ParentPostAuthorOnly = "PARENT_POST_AUTHOR_ONLY",
        /// The author's followers.
        FollowersOnly = "FOLLOWERS_ONLY",
    }
);

string_enum!(
    /// Who may reply, as sent in `reply_control` when creating a post.
    ReplyControl {
        /// Anyone.
        Everyone = "everyone",
        /// Accounts the author follows.
        AccountsYouFollow = "accounts_you_follow",
        /// Accounts mentioned in the post.
        MentionedOnly = "mentioned_only",
        /// Only the author of the parent post.
        ParentPostAuthorOnly = "parent_post_author_only",
        /// The author's followers.
        FollowersOnly = "followers_only",
    }
);

string_enum!(
    /// Moderation state of a reply (`hide_status`).
    HideStatus {
        /// Never hidden.
        NotHushed = "NOT_HUSHED",
        /// Was hidden, now shown.
        Unhushed = "UNHUSHED",
        /// Hidden by the author.
        Hidden = "HIDDEN",
        /// Covered.
        Covered = "COVERED",
        /// From a blocked account.
        Blocked = "BLOCKED",
        /// From a restricted account.
        Restricted = "RESTRICTED",
    }
);

string_enum!(
    /// Processing state of a media container.
    ContainerState {
        /// Still processing.
        InProgress = "IN_PROGRESS",
        /// Ready to publish.
        Finished = "FINISHED",
        /// Already published.
        Published = "PUBLISHED",
        /// Processing failed; see `error_message`.
        Error = "ERROR",
        /// Not published within 24 h.
        Expired = "EXPIRED",
    }
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_read_value_is_a_variant() {
        // §3.1 and §3.2 of the reference.
        for wire in [
            "TEXT_POST",
            "IMAGE",
            "VIDEO",
            "CAROUSEL_ALBUM",
            "AUDIO",
            "REPOST_FACADE",
        ] {
            let t = MediaType::from_wire(wire);
            assert!(!matches!(t, MediaType::Other(_)), "{wire}");
            assert_eq!(t.as_str(), wire);
        }
        for wire in [
            "EVERYONE",
            "ACCOUNTS_YOU_FOLLOW",
            "MENTIONED_ONLY",
            "PARENT_POST_AUTHOR_ONLY",
            "FOLLOWERS_ONLY",
        ] {
            let a = ReplyAudience::from_wire(wire);
            assert!(!matches!(a, ReplyAudience::Other(_)), "{wire}");
            assert_eq!(a.as_str(), wire);
        }
    }

    #[test]
    fn unknown_values_are_kept() {
        let t: MediaType = serde_json::from_str("\"HOLOGRAM\"").unwrap();
        assert_eq!(t, MediaType::Other("HOLOGRAM".into()));
        assert_eq!(
            serde_json::to_string(&ReplyControl::FollowersOnly).unwrap(),
            "\"followers_only\""
        );
    }
}
