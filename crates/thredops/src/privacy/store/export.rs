//! The export's reads: every table's rows of one user (found from the schema) and the sealed
//! values the export opens. Table and column names come from the database catalogue, never
//! from input.

use sqlx::Row;

use crate::domain::{ConversationId, ProfileId, UserId, WorkspaceId};
use crate::store::{Pool, Store, StoreResult, with_pool};
use crate::support::AttachmentId;

/// A sealed value that may be missing.
pub(crate) type Sealed = Option<Vec<u8>>;
/// A planned post: id, profile, state, sealed content, scheduled time, permalink.
pub(crate) type PlannedRow = (String, String, String, Sealed, Option<i64>, Option<String>);
/// A recurring series: id, profile, state, sealed content.
pub(crate) type SeriesRow = (String, String, String, Vec<u8>);
/// A followed feed: id, profile, address, last read, last error.
pub(crate) type FeedRow = (String, String, String, Option<i64>, Option<String>);
/// A drafted feed item: feed, item key, title, post.
pub(crate) type FeedItemRow = (String, String, String, Option<String>);
/// An audit: id, profile, status, score, sealed report, created.
pub(crate) type AuditRow = (String, String, String, Option<i64>, Sealed, i64);
/// An experiment: id, profile, status, sealed spec, sealed result.
pub(crate) type ExperimentRow = (String, String, String, Vec<u8>, Sealed);
/// A support conversation: id, kind, category, subject, status, created.
pub(crate) type ConversationRow = (ConversationId, String, Option<String>, String, String, i64);
/// A support message: author, body, created, image id, image file name.
pub(crate) type LineRow = (String, String, i64, Option<AttachmentId>, Option<String>);

/// A table's exported columns and the user's rows, each value as text.
pub(crate) struct TableRows {
    /// Column names, in table order.
    pub columns: Vec<String>,
    /// One line of cells per row.
    pub rows: Vec<Vec<String>>,
}

impl Store {
    /// Column names of a table.
    async fn column_names(&self, table: &str) -> StoreResult<Vec<String>> {
        Ok(match self.pool() {
            Pool::Sqlite(p) => sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(table).fetch_all(p).await?,
            Pool::Postgres(p) => sqlx::query_scalar("SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position")
                .bind(table).fetch_all(p).await?,
        })
    }

    /// The user's rows of `table` without the `withheld` columns, or `None` when the table holds
    /// nothing per user. Sealed (binary) values read `[encrypted]`.
    pub(crate) async fn export_table(
        &self,
        table: &str,
        user_id: &UserId,
        withheld: &[&str],
    ) -> StoreResult<Option<TableRows>> {
        let cols = self.column_names(table).await?;
        let has = |c: &str| cols.iter().any(|x| x == c);
        let filter = if table == "users" {
            "id = $1"
        } else if table == "workspace_members" {
            // The workspaces one belongs to, and the members of one's own.
            "user_id = $1 OR workspace_id = $1"
        } else if has("owner_id") {
            "owner_id = $1"
        } else if has("user_id") {
            // A row of one's own (sessions and tokens too, wherever they act).
            "user_id = $1"
        } else if has("workspace_id") {
            "workspace_id = $1"
        } else if has("profile_id") {
            "profile_id IN (SELECT id FROM threads_profiles WHERE user_id = $1)"
        } else {
            return Ok(None);
        };
        let columns: Vec<String> = cols
            .into_iter()
            .filter(|c| !withheld.contains(&c.as_str()))
            .collect();
        let select = columns
            .iter()
            .map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!("SELECT {select} FROM \"{table}\" WHERE {filter}");
        let rows = with_pool!(self, |p| async {
            let rows = sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(user_id)
                .fetch_all(p)
                .await?;
            Ok::<_, sqlx::Error>(
                rows.iter()
                    .map(|r| (0..r.columns().len()).map(|i| cell(r, i)).collect())
                    .collect(),
            )
        }
        .await)?;
        Ok(Some(TableRows { columns, rows }))
    }

    /// A profile's posts: media id and sealed content, oldest first.
    pub(crate) async fn export_post_contents(
        &self,
        profile_id: &ProfileId,
    ) -> StoreResult<Vec<(String, Vec<u8>)>> {
        Ok(with_pool!(self, |p| sqlx::query_as(
            "SELECT media_id, content_enc FROM posts WHERE profile_id = $1 ORDER BY posted_at",
        )
        .bind(profile_id)
        .fetch_all(p)
        .await)?)
    }

    /// A profile's audience snapshots: day, breakdown and sealed values.
    pub(crate) async fn export_demographics(
        &self,
        profile_id: &ProfileId,
    ) -> StoreResult<Vec<(String, String, Vec<u8>)>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT day, breakdown, payload_enc FROM demographic_snapshots WHERE profile_id = $1 ORDER BY day, breakdown"
        )
        .bind(profile_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The workspace's planned posts (drafts and scheduled), oldest first.
    pub(crate) async fn export_planned_posts(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<PlannedRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, profile_id, state, content_enc, scheduled_at, permalink FROM scheduled_posts WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The workspace's recurring series, oldest first.
    pub(crate) async fn export_recurring_series(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<SeriesRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, profile_id, state, content_enc FROM recurring_series WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The workspace's followed feeds, oldest first.
    pub(crate) async fn export_feeds(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<FeedRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, profile_id, url, last_polled_at, last_error FROM publishing_feeds WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The items drafted from the workspace's feeds, oldest first.
    pub(crate) async fn export_feed_items(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<FeedItemRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT feed_id, item_key, title, post_id FROM publishing_feed_items WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The workspace's audits, oldest first.
    pub(crate) async fn export_audits(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<AuditRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, profile_id, status, score, report_enc, created_at FROM strategy_audits WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The workspace's experiments, oldest first.
    pub(crate) async fn export_experiments(
        &self,
        workspace_id: &WorkspaceId,
    ) -> StoreResult<Vec<ExperimentRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, profile_id, status, spec_enc, result_enc FROM strategy_experiments WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(workspace_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// The user's support tickets and chats, oldest first.
    pub(crate) async fn export_support_conversations(
        &self,
        user_id: &UserId,
    ) -> StoreResult<Vec<ConversationRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT id, kind, category, subject, status, created_at FROM support_conversations WHERE user_id = $1 ORDER BY created_at",
        )
        .bind(user_id)
        .fetch_all(p)
        .await
        })?)
    }

    /// A conversation's messages with their images, internal notes left out.
    pub(crate) async fn export_support_lines(
        &self,
        conversation_id: &ConversationId,
    ) -> StoreResult<Vec<LineRow>> {
        Ok(with_pool!(self, |p| {
            sqlx::query_as(
            "SELECT m.author, m.body, m.created_at, a.id, a.file_name FROM support_messages m LEFT JOIN support_attachments a ON a.message_id = m.id WHERE m.conversation_id = $1 AND m.author <> 'note' ORDER BY m.id",
        )
        .bind(conversation_id)
        .fetch_all(p)
        .await
        })?)
    }
}

/// One value as text, whatever its type on either backend.
fn cell<R: Row>(row: &R, i: usize) -> String
where
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<i32>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<f64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<bool>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    if let Ok(v) = row.try_get::<Option<i64>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<i32>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<bool>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<f64>, _>(i) {
        return v.map(|v| v.to_string()).unwrap_or_default();
    }
    if let Ok(v) = row.try_get::<Option<String>, _>(i) {
        return v.unwrap_or_default();
    }
    match row.try_get::<Option<Vec<u8>>, _>(i) {
        Ok(Some(_)) => "[encrypted]".to_owned(),
        _ => String::new(),
    }
}
