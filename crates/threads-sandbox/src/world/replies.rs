//! Replies under posts: synthetic ones from other users (derived on demand from the post's
//! seed and reply metric) plus the owner's own replies.

use super::engagement::{accrued, age_of_unit};
use super::{Creator, World};
use crate::ids::ObjectRef;

/// One entry in a reply listing.
#[derive(Debug, Clone, Copy)]
pub struct ReplyEntry {
    /// Publication time.
    pub ts: i64,
    /// The reply.
    pub reply: ObjectRef,
}

/// Time the synthetic reply `reply` under post `post` of `creator` was written.
pub fn incoming_ts(creator: &Creator, post: usize, reply: usize) -> Option<i64> {
    let p = creator.posts.get(post)?;
    ((reply as u64) < p.fin.replies).then(|| p.ts + age_of_unit(p.fin.replies, reply as u64 + 1))
}

/// Whether the synthetic reply exists (written by `now`, post not deleted).
pub fn incoming_exists(world: &World, creator: usize, post: usize, reply: usize, now: i64) -> bool {
    let Some(c) = world.creators.get(creator) else {
        return false;
    };
    let Some(p) = c.posts.get(post) else {
        return false;
    };
    !p.deleted && (reply as u64) < accrued(p.fin.replies, now - p.ts)
}

/// Replies directly under `parent` (top-level only when `parent` is a post), or every reply
/// under a root post when `whole_conversation`. Newest first.
pub fn list(
    world: &World,
    parent: ObjectRef,
    whole_conversation: bool,
    now: i64,
) -> Vec<ReplyEntry> {
    let mut out = Vec::new();
    let parent_id = parent.id();
    match parent {
        ObjectRef::Post { creator, post } => {
            let Some(c) = world.creators.get(creator) else {
                return out;
            };
            let Some(p) = c.posts.get(post) else {
                return out;
            };
            let visible = accrued(p.fin.replies, now - p.ts) as usize;
            out.extend((0..visible).map(|r| ReplyEntry {
                ts: p.ts + age_of_unit(p.fin.replies, r as u64 + 1),
                reply: ObjectRef::Incoming {
                    creator,
                    post,
                    reply: r,
                },
            }));
            for ri in c.replies_by_root.get(&post).into_iter().flatten() {
                let own = &c.replies[*ri];
                let direct = own.reply.is_some_and(|l| l.replied_to == parent_id);
                if !own.deleted && own.ts <= now && (whole_conversation || direct) {
                    out.push(ReplyEntry {
                        ts: own.ts,
                        reply: ObjectRef::OwnReply {
                            creator,
                            reply: *ri,
                        },
                    });
                }
            }
        }
        ObjectRef::Incoming { creator, .. } | ObjectRef::OwnReply { creator, .. } => {
            let Some(c) = world.creators.get(creator) else {
                return out;
            };
            // Own replies under a reply: scan the owner's replies (few per creator).
            for (ri, own) in c.replies.iter().enumerate() {
                if !own.deleted
                    && own.ts <= now
                    && own.reply.is_some_and(|l| l.replied_to == parent_id)
                {
                    out.push(ReplyEntry {
                        ts: own.ts,
                        reply: ObjectRef::OwnReply { creator, reply: ri },
                    });
                }
            }
        }
        _ => {}
    }
    out.sort_by(|a, b| b.ts.cmp(&a.ts).then(b.reply.id().cmp(&a.reply.id())));
    out
}
