//! Storage of the inbox: which profiles have it on, per-post watermarks of the poll, the items
//! (sealed) and the saved replies (sealed).

use super::{InboxItemId, SavedReplyId};
use super::{ItemKind, ProfileState, Source};
use crate::domain::{MediaId, PostId, ProfileId, UserId, WorkspaceId};
use crate::store::{Store, StoreResult, with_pool};

/// An item to store, its content already sealed.
#[derive(Debug, Clone)]
pub struct NewItem {
    /// Id.
    pub id: InboxItemId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// Profile it was received for.
    pub profile_id: ProfileId,
    /// Threads media id of the reply or mentioning post.
    pub threads_id: MediaId,
    /// Reply or mention.
    pub kind: ItemKind,
    /// The profile's post the conversation hangs under.
    pub root_id: Option<MediaId>,
    /// What it answers.
    pub replied_to_id: Option<MediaId>,
    /// A reply directly under the profile's post (only those can be hidden).
    pub top_level: bool,
    /// Sealed [`super::Content`].
    pub content_enc: Vec<u8>,
    /// The text asks something.
    pub has_question: bool,
    /// When it was published (UTC seconds).
    pub posted_at: i64,
    /// When ThredOps received it.
    pub received_at: i64,
    /// Poll or webhook.
    pub source: Source,
    /// Hidden on Threads already.
    pub hidden: bool,
}

/// An item as stored, with the state of the post answering it from ThredOps.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ItemRecord {
    /// Id.
    pub id: InboxItemId,
    /// Profile.
    pub profile_id: ProfileId,
    /// Threads media id.
    pub threads_id: MediaId,
    /// Reply or mention.
    #[sqlx(try_from = "String")]
    pub kind: ItemKind,
    /// The profile's post the conversation hangs under.
    pub root_id: Option<MediaId>,
    /// Can be hidden.
    pub top_level: bool,
    /// Sealed content.
    pub content_enc: Vec<u8>,
    /// Asks something.
    pub has_question: bool,
    /// Published.
    pub posted_at: i64,
    /// Poll or webhook.
    #[sqlx(try_from = "String")]
    pub source: Source,
    /// Read by the user.
    pub read_at: Option<i64>,
    /// Hidden on Threads.
    pub hidden: bool,
    /// A reply by the profile was seen on Threads.
    pub answered_at: Option<i64>,
    /// The planned post answering it.
    pub reply_post_id: Option<PostId>,
    /// That post's state.
    pub reply_state: Option<String>,
    /// That post's link once published.
    pub reply_permalink: Option<String>,
    /// Who handles it.
    pub assignee_user_id: Option<UserId>,
}

/// Which items a list shows.
#[derive(Debug, Clone, Default)]
pub struct ItemFilter {
    /// One profile, or all.
    pub profile_id: Option<ProfileId>,
    /// Replies or mentions only.
    pub kind: Option<ItemKind>,
    /// Unread only.
    pub unread: bool,
    /// With no reply by the profile (on Threads or planned in ThredOps).
    pub unanswered: bool,
    /// Asking something.
    pub questions: bool,
    /// Assigned to this user only.
    pub assignee: Option<UserId>,
    /// After this item in the list's order (paging): its publication time and id.
    pub after: Option<(i64, InboxItemId)>,
    /// Most items.
    pub limit: i64,
    /// Items of profiles whose inbox is off too (the export).
    pub include_off: bool,
}

/// A profile's inbox settings and last poll.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct InboxProfile {
    /// Profile.
    pub profile_id: ProfileId,
    /// Owner.
    pub user_id: WorkspaceId,
    /// Requested, on or off.
    #[sqlx(try_from = "String")]
    pub state: ProfileState,
    /// When the state last changed.
    pub changed_at: i64,
    /// When a poll last ran.
    pub last_poll_at: Option<i64>,
    /// Items the last poll stored.
    pub last_new_items: i64,
    /// API calls the last poll made.
    pub last_calls: i64,
    /// Why the last poll failed.
    pub last_error: Option<String>,
    /// Newest mention read.
    pub mentions_since: Option<i64>,
}

/// A post whose conversation a poll reads.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WatchedPost {
    /// Threads media id.
    pub media_id: MediaId,
    /// Replies count from the latest sync.
    pub replies: i64,
    /// Newest reply already read.
    pub newest_reply_at: Option<i64>,
}

const ITEM_COLUMNS: &str = "i.id, i.profile_id, i.threads_id, i.kind, i.root_id, i.top_level, i.content_enc, i.has_question, i.posted_at, i.source, i.read_at, i.hidden, i.answered_at, i.reply_post_id, i.assignee_user_id, sp.state AS reply_state, sp.permalink AS reply_permalink";

// A name this version does not know reads as the most common value rather than failing the
// whole list (a newer instance may have written it).
impl From<String> for ItemKind {
    fn from(s: String) -> Self {
        ItemKind::parse(&s).unwrap_or(ItemKind::Reply)
    }
}

impl From<String> for Source {
    fn from(s: String) -> Self {
        Source::parse(&s).unwrap_or(Source::Poll)
    }
}

impl From<String> for ProfileState {
    fn from(s: String) -> Self {
        ProfileState::parse(&s).unwrap_or(ProfileState::Off)
    }
}

impl Store {
    /// Sets a profile's inbox state, creating its row.
    pub async fn set_inbox_state(
        &self,
        profile_id: &ProfileId,
        user_id: &WorkspaceId,
        state: ProfileState,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO inbox_profiles (profile_id, user_id, state, changed_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (profile_id) DO UPDATE SET state = excluded.state, changed_at = excluded.changed_at"
        )
        .bind(profile_id)
        .bind(user_id)
        .bind(state.as_str())
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A profile's inbox row.
    pub async fn inbox_profile(&self, profile_id: &ProfileId) -> StoreResult<Option<InboxProfile>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT * FROM inbox_profiles WHERE profile_id = $1"
        )
        .bind(profile_id)
        .fetch_optional(p)
        .await)?)
    }

    /// Every inbox row of a user.
    pub async fn inbox_profiles_of(&self, user_id: &WorkspaceId) -> StoreResult<Vec<InboxProfile>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT * FROM inbox_profiles WHERE user_id = $1"
        )
        .bind(user_id)
        .fetch_all(p)
        .await)?)
    }

    /// Records how a poll ended.
    pub async fn record_inbox_poll(
        &self,
        profile_id: &ProfileId,
        at: i64,
        new_items: i64,
        calls: i64,
        error: Option<&str>,
        mentions_since: Option<i64>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "UPDATE inbox_profiles SET last_poll_at = $2, last_new_items = $3, last_calls = $4, last_error = $5, \
             mentions_since = COALESCE($6, mentions_since) WHERE profile_id = $1"
        )
        .bind(profile_id)
        .bind(at)
        .bind(new_items)
        .bind(calls)
        .bind(error)
        .bind(mentions_since)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Gives every post published before `before` a watermark at `now`, so turning the inbox on
    /// does not pull years of old replies: only replies after it, when a post's count grows.
    pub async fn baseline_inbox_posts(
        &self,
        profile_id: &ProfileId,
        before: i64,
        now: i64,
    ) -> StoreResult<u64> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO inbox_posts (profile_id, media_id, replies_seen, newest_reply_at, checked_at) \
             SELECT profile_id, media_id, COALESCE(replies, 0), $3, $3 FROM posts WHERE profile_id = $1 AND posted_at < $2 \
             ON CONFLICT (profile_id, media_id) DO NOTHING"
        )
        .bind(profile_id)
        .bind(before)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n)
    }

    /// Posts whose conversation a poll reads: those published since `recent_since`, and older
    /// ones whose replies count grew since it was last read; newest first.
    pub async fn inbox_posts_to_read(
        &self,
        profile_id: &ProfileId,
        recent_since: i64,
        limit: i64,
    ) -> StoreResult<Vec<WatchedPost>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
                "SELECT p.media_id, COALESCE(p.replies, 0) AS replies, w.newest_reply_at FROM posts p \
                 LEFT JOIN inbox_posts w ON w.profile_id = p.profile_id AND w.media_id = p.media_id \
                 WHERE p.profile_id = $1 AND p.media_type <> 'REPOST_FACADE' \
                 AND (p.posted_at >= $2 OR COALESCE(p.replies, 0) > COALESCE(w.replies_seen, 0)) \
                 ORDER BY p.posted_at DESC LIMIT $3",
            )
            .bind(profile_id)
            .bind(recent_since)
            .bind(limit)
            .fetch_all(p)
            .await
        })?)
    }

    /// Moves a post's watermark after its conversation was read.
    pub async fn mark_inbox_post_read(
        &self,
        profile_id: &ProfileId,
        post: &WatchedPost,
        newest_reply_at: Option<i64>,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO inbox_posts (profile_id, media_id, replies_seen, newest_reply_at, checked_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (profile_id, media_id) DO UPDATE SET replies_seen = excluded.replies_seen, \
             newest_reply_at = COALESCE(excluded.newest_reply_at, inbox_posts.newest_reply_at), checked_at = excluded.checked_at"
        )
        .bind(profile_id)
        .bind(&post.media_id)
        .bind(post.replies)
        .bind(newest_reply_at.or(post.newest_reply_at))
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The profile a synced post belongs to.
    pub async fn profile_of_post(&self, media_id: &MediaId) -> StoreResult<Option<ProfileId>> {
        let id: Option<ProfileId> = with_pool!(self, |p| sqlx::query_scalar(
            "SELECT profile_id FROM posts WHERE media_id = $1 LIMIT 1"
        )
        .bind(media_id)
        .fetch_optional(p)
        .await)?;
        Ok(id)
    }

    /// Stores an item once; false when it was already there (by profile and Threads id).
    pub async fn insert_inbox_item(&self, i: &NewItem) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO inbox_items (id, user_id, profile_id, threads_id, kind, root_id, replied_to_id, top_level, content_enc, has_question, posted_at, received_at, source, hidden) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (profile_id, threads_id) DO NOTHING"
        )
        .bind(&i.id)
        .bind(&i.user_id)
        .bind(&i.profile_id)
        .bind(&i.threads_id)
        .bind(i.kind.as_str())
        .bind(&i.root_id)
        .bind(&i.replied_to_id)
        .bind(i.top_level)
        .bind(&i.content_enc)
        .bind(i.has_question)
        .bind(i.posted_at)
        .bind(i.received_at)
        .bind(i.source.as_str())
        .bind(i.hidden)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Marks the item a reply of the profile answers as answered.
    pub async fn mark_inbox_answered(
        &self,
        profile_id: &ProfileId,
        threads_id: &MediaId,
        at: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE inbox_items SET answered_at = $3 WHERE profile_id = $1 AND threads_id = $2 AND answered_at IS NULL"
        )
        .bind(profile_id)
        .bind(threads_id)
        .bind(at)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// A user's items, newest first, as the filter asks (of profiles whose inbox is on, unless
    /// the filter includes the others).
    pub async fn inbox_items(
        &self,
        user_id: &WorkspaceId,
        f: &ItemFilter,
    ) -> StoreResult<Vec<ItemRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM inbox_items i \
             LEFT JOIN inbox_profiles ip ON ip.profile_id = i.profile_id \
             LEFT JOIN scheduled_posts sp ON sp.id = i.reply_post_id \
             WHERE i.user_id = $1 AND ($2 IS NULL OR i.profile_id = $2) AND ($3 IS NULL OR i.kind = $3) \
             AND ($4 = FALSE OR i.read_at IS NULL) \
             AND ($5 = FALSE OR (i.answered_at IS NULL AND i.reply_post_id IS NULL)) \
             AND ($6 = FALSE OR i.has_question = TRUE) AND ($7 IS NULL OR i.posted_at < $7 OR (i.posted_at = $7 AND i.id < $10)) \
             AND ($9 = TRUE OR ip.state = 'on') AND ($11 IS NULL OR i.assignee_user_id = $11) \
             ORDER BY i.posted_at DESC, i.id DESC LIMIT $8"
        ));
        Ok(with_pool!(self, |p| {
            sqlx::query_as(sql)
                .bind(user_id)
                .bind(&f.profile_id)
                .bind(f.kind.map(ItemKind::as_str))
                .bind(f.unread)
                .bind(f.unanswered)
                .bind(f.questions)
                .bind(f.after.as_ref().map(|a| a.0))
                .bind(f.limit)
                .bind(f.include_off)
                .bind(f.after.as_ref().map(|a| a.1.as_str()))
                .bind(&f.assignee)
                .fetch_all(p)
                .await
        })?)
    }

    /// One of the user's items.
    pub async fn inbox_item(
        &self,
        user_id: &WorkspaceId,
        id: &InboxItemId,
    ) -> StoreResult<Option<ItemRecord>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {ITEM_COLUMNS} FROM inbox_items i LEFT JOIN scheduled_posts sp ON sp.id = i.reply_post_id \
             WHERE i.user_id = $1 AND i.id = $2"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .bind(user_id)
            .bind(id)
            .fetch_optional(p)
            .await)?)
    }

    /// Unread items of the user's profiles whose inbox is on.
    pub async fn unread_inbox_items(&self, user_id: &WorkspaceId) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT count(*) FROM inbox_items i JOIN inbox_profiles ip ON ip.profile_id = i.profile_id AND ip.state = 'on' \
             WHERE i.user_id = $1 AND i.read_at IS NULL"
        )
        .bind(user_id)
        .fetch_one(p)
        .await
        })?;
        Ok(n)
    }

    /// Marks an item read (`Some(at)`) or unread (`None`).
    pub async fn set_inbox_read(&self, id: &InboxItemId, at: Option<i64>) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE inbox_items SET read_at = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(at)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Records an item hidden or shown on Threads.
    pub async fn set_inbox_hidden(&self, id: &InboxItemId, hidden: bool) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE inbox_items SET hidden = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(hidden)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Sets or clears who handles an item.
    pub async fn set_inbox_assignee(
        &self,
        id: &InboxItemId,
        assignee: Option<&UserId>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE inbox_items SET assignee_user_id = $2 WHERE id = $1"
        )
        .bind(id)
        .bind(assignee)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Links the planned post answering an item, unless a live one already is (a failed or
    /// cancelled one may be replaced); true when linked.
    pub async fn link_inbox_reply(&self, id: &InboxItemId, post_id: &PostId) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE inbox_items SET reply_post_id = $2, read_at = COALESCE(read_at, $3) WHERE id = $1 AND (reply_post_id IS NULL \
             OR reply_post_id IN (SELECT id FROM scheduled_posts WHERE state IN ('failed', 'cancelled')))"
        )
        .bind(id)
        .bind(post_id)
        .bind(crate::clock::now_unix())
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Replies planned from the inbox for a profile that have not reached Threads yet.
    pub async fn pending_inbox_replies(&self, profile_id: &ProfileId) -> StoreResult<i64> {
        let n: i64 = with_pool!(self, |p| {
            sqlx::query_scalar(
            "SELECT count(*) FROM inbox_items i JOIN scheduled_posts sp ON sp.id = i.reply_post_id \
             WHERE i.profile_id = $1 AND sp.state IN ('scheduled', 'container_created', 'ready')"
        )
        .bind(profile_id)
        .fetch_one(p)
        .await
        })?;
        Ok(n)
    }

    /// Deletes a profile's items, watermarks and inbox row (disconnect).
    pub async fn forget_inbox_profile(&self, profile_id: &ProfileId) -> StoreResult<()> {
        for table in ["inbox_items", "inbox_posts", "inbox_profiles"] {
            let sql = format!("DELETE FROM {table} WHERE profile_id = $1");
            with_pool!(self, |p| sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(profile_id)
                .execute(p)
                .await
                .map(|r| r.rows_affected()))?;
        }
        Ok(())
    }

    /// Saves a sealed reply snippet.
    pub async fn insert_saved_reply(
        &self,
        id: &SavedReplyId,
        user_id: &WorkspaceId,
        content_enc: &[u8],
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO inbox_saved_replies (id, user_id, content_enc, created_at) VALUES ($1, $2, $3, $4)"
        )
        .bind(id)
        .bind(user_id)
        .bind(content_enc)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// A user's saved replies (id, sealed content, created), oldest first.
    pub async fn saved_replies(
        &self,
        user_id: &WorkspaceId,
    ) -> StoreResult<Vec<(SavedReplyId, Vec<u8>, i64)>> {
        let rows: Vec<(SavedReplyId, Vec<u8>, i64)> = with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, content_enc, created_at FROM inbox_saved_replies WHERE user_id = $1 ORDER BY created_at, id"
        )
        .bind(user_id)
        .fetch_all(p)
        .await
        })?;
        Ok(rows)
    }

    /// Deletes one of a user's saved replies; false when there was none.
    pub async fn delete_saved_reply(
        &self,
        user_id: &WorkspaceId,
        id: &SavedReplyId,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| sqlx::query(
            "DELETE FROM inbox_saved_replies WHERE user_id = $1 AND id = $2"
        )
        .bind(user_id)
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n == 1)
    }
}
