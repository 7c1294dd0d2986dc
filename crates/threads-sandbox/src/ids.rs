//! Numeric object ids and opaque paging cursors.
//!
//! Media ids encode where the object lives, so a lookup is arithmetic rather than a map
//! probe and a 10,000-post history needs no id index at all.

/// Where an id points.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ObjectRef {
    /// A top-level post (or repost) of creator `creator` at index `post`.
    Post { creator: usize, post: usize },
    /// A reply written by creator `creator`, index `reply` in their replies.
    OwnReply { creator: usize, reply: usize },
    /// A reply by a synthetic other user on a creator's post.
    Incoming {
        creator: usize,
        post: usize,
        reply: usize,
    },
    /// A media container (global counter).
    Container(u64),
    /// Item `child` of the carousel at index `post` of creator `creator`.
    Child {
        creator: usize,
        post: usize,
        child: usize,
    },
}

const POST_BASE: u64 = 18_000_000_000_000_000;
const OWN_REPLY_OFFSET: u64 = 5_000_000_000;
const CREATOR_STRIDE: u64 = 10_000_000_000;
const INCOMING_BASE: u64 = 19_000_000_000_000_000;
const INCOMING_CREATOR: u64 = 1_000_000_000_000;
const INCOMING_POST: u64 = 100_000;
const CONTAINER_BASE: u64 = 17_900_000_000_000_000;
const CONTAINER_END: u64 = 17_999_999_999_999_999;
const CHILD_BASE: u64 = 21_000_000_000_000_000;
const CHILD_CREATOR: u64 = 1_000_000_000_000;
const CHILD_POST: u64 = 100;

/// Most creators a world can hold (keeps every id range disjoint).
pub const MAX_CREATORS: usize = 999;
/// Most synthetic replies listed under one post.
pub const MAX_INCOMING_PER_POST: usize = (INCOMING_POST - 1) as usize;

impl ObjectRef {
    /// The id as a number.
    pub fn id(self) -> u64 {
        match self {
            Self::Post { creator, post } => {
                POST_BASE + creator as u64 * CREATOR_STRIDE + post as u64
            }
            Self::OwnReply { creator, reply } => {
                POST_BASE + creator as u64 * CREATOR_STRIDE + OWN_REPLY_OFFSET + reply as u64
            }
            Self::Incoming {
                creator,
                post,
                reply,
            } => {
                INCOMING_BASE
                    + creator as u64 * INCOMING_CREATOR
                    + post as u64 * INCOMING_POST
                    + reply as u64
            }
            Self::Container(n) => CONTAINER_BASE + n,
            Self::Child {
                creator,
                post,
                child,
            } => {
                CHILD_BASE
                    + creator as u64 * CHILD_CREATOR
                    + post as u64 * CHILD_POST
                    + child as u64
            }
        }
    }

    /// Decodes an id string; `None` when it is not one of ours.
    pub fn parse(text: &str) -> Option<Self> {
        let id: u64 = text.parse().ok()?;
        if (CONTAINER_BASE..=CONTAINER_END).contains(&id) {
            return Some(Self::Container(id - CONTAINER_BASE));
        }
        if (POST_BASE..POST_BASE + MAX_CREATORS as u64 * CREATOR_STRIDE).contains(&id) {
            let rel = id - POST_BASE;
            let creator = (rel / CREATOR_STRIDE) as usize;
            let rest = rel % CREATOR_STRIDE;
            return Some(if rest >= OWN_REPLY_OFFSET {
                Self::OwnReply {
                    creator,
                    reply: (rest - OWN_REPLY_OFFSET) as usize,
                }
            } else {
                Self::Post {
                    creator,
                    post: rest as usize,
                }
            });
        }
        if (INCOMING_BASE..INCOMING_BASE + MAX_CREATORS as u64 * INCOMING_CREATOR).contains(&id) {
            let rel = id - INCOMING_BASE;
            return Some(Self::Incoming {
                creator: (rel / INCOMING_CREATOR) as usize,
                post: ((rel % INCOMING_CREATOR) / INCOMING_POST) as usize,
                reply: (rel % INCOMING_POST) as usize,
            });
        }
        if (CHILD_BASE..CHILD_BASE + MAX_CREATORS as u64 * CHILD_CREATOR).contains(&id) {
            let rel = id - CHILD_BASE;
            return Some(Self::Child {
                creator: (rel / CHILD_CREATOR) as usize,
                post: ((rel % CHILD_CREATOR) / CHILD_POST) as usize,
                child: (rel % CHILD_POST) as usize,
            });
        }
        None
    }
}

/// An opaque cursor for a position in a list.
pub fn encode_cursor(position: usize) -> String {
    hex::encode(format!("QVFI{position}"))
}

/// Decodes a cursor from [`encode_cursor`].
pub fn decode_cursor(cursor: &str) -> Option<usize> {
    let bytes = hex::decode(cursor).ok()?;
    let text = String::from_utf8(bytes).ok()?;
    text.strip_prefix("QVFI")?.parse().ok()
}

/// A permalink shortcode derived from the id (base62-ish, stable).
pub fn shortcode(id: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    // Mixing first keeps consecutive ids from giving consecutive shortcodes.
    let mut n = id.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (id >> 17);
    let mut out = String::with_capacity(11);
    for _ in 0..11 {
        out.push(ALPHABET[(n % 64) as usize] as char);
        n /= 64;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_of_id_round_trips() {
        let refs = [
            ObjectRef::Post {
                creator: 3,
                post: 12_345,
            },
            ObjectRef::OwnReply {
                creator: 998,
                reply: 7,
            },
            ObjectRef::Incoming {
                creator: 5,
                post: 9_999_999,
                reply: 99_998,
            },
            ObjectRef::Container(42),
            ObjectRef::Child {
                creator: 2,
                post: 5_000,
                child: 19,
            },
        ];
        for r in refs {
            assert_eq!(ObjectRef::parse(&r.id().to_string()), Some(r));
        }
        assert_eq!(ObjectRef::parse("17841400000000001"), None);
        assert_eq!(ObjectRef::parse("zuck"), None);
    }

    #[test]
    fn cursors_round_trip() {
        assert_eq!(decode_cursor(&encode_cursor(77)), Some(77));
        assert_eq!(decode_cursor("nonsense"), None);
    }
}
