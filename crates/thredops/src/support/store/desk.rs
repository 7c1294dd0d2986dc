//! Storage for the desk around conversations: visitors, agent presence, canned responses and
//! the agents' inbox.

use serde::Serialize;
use sqlx::Row;

use super::{CONV_COLUMNS, Conversation};
use crate::domain::{ConversationId, UserId};
use crate::store::{Store, StoreResult, with_pool, with_tx};
use crate::support::model::{Category, Kind, Status};
use crate::support::{CannedId, VisitorId};

/// A canned response, typed as `/shortcut` in the console.
#[derive(Debug, Clone, Serialize)]
pub struct Canned {
    /// Id (UUID).
    pub id: CannedId,
    /// The word after the slash.
    pub shortcut: String,
    /// The text it expands to.
    pub body: String,
}

/// One inbox row: the conversation, who it is from and how many customer lines are unread.
#[derive(Debug, Clone, Serialize)]
pub struct InboxRow {
    /// The conversation.
    #[serde(flatten)]
    pub conversation: Conversation,
    /// The account email, or the email a visitor left.
    pub customer_email: Option<String>,
    /// Customer messages after the agents' read marker.
    pub unread: i64,
    /// The latest visible message, shortened.
    pub preview: String,
}

/// Inbox filters; `None` means "any".
#[derive(Debug, Clone, Default)]
pub struct InboxFilter {
    /// Status.
    pub status: Option<Status>,
    /// Chat or ticket.
    pub kind: Option<Kind>,
    /// Ticket category.
    pub category: Option<Category>,
    /// Agent id, or `""` for unassigned.
    pub assignee: Option<String>,
    /// Words to find in the customer's email, the subject or any message (case-insensitive).
    pub search: Option<String>,
}

/// The `LIKE` pattern for a search: the text lowercased, its wildcards escaped with `\`.
fn like_pattern(text: &str) -> String {
    let escaped = text
        .to_lowercase()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

impl Store {
    /// The visitor holding a continuity token hash; refreshes their last visit.
    pub async fn support_visitor(
        &self,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<Option<VisitorId>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "UPDATE support_visitors SET last_seen_at = $1 WHERE token_hash = $2 RETURNING id"
        )
        .bind(now)
        .bind(token_hash)
        .fetch_optional(p)
        .await)?)
    }

    /// Registers a visitor by the hash of their new continuity token.
    pub async fn support_create_visitor(
        &self,
        id: &VisitorId,
        token_hash: &str,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO support_visitors (id, token_hash, created_at, last_seen_at) VALUES ($1, $2, $3, $3)"
        )
        .bind(id)
        .bind(token_hash)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Deletes visitors (and, by cascade, their conversations) not seen since `before`.
    pub async fn support_purge_visitors(&self, before: i64) -> StoreResult<u64> {
        Ok(with_pool!(self, |p| sqlx::query(
            "DELETE FROM support_visitors WHERE last_seen_at < $1"
        )
        .bind(before)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?)
    }

    /// Marks an agent present until `until` (0 = away now).
    pub async fn support_set_presence(&self, agent_id: &UserId, until: i64) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO support_agents (user_id, online_until) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET online_until = excluded.online_until"
        )
        .bind(agent_id)
        .bind(until)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Agents present at `now`, with their emails.
    pub async fn support_online_agents(&self, now: i64) -> StoreResult<Vec<(UserId, String)>> {
        Ok(with_pool!(self, |p| {
            async {
            let rows = sqlx::query(
                "SELECT a.user_id, u.email FROM support_agents a JOIN users u ON u.id = a.user_id WHERE a.online_until > $1 AND u.role IN ('support', 'admin') ORDER BY u.email",
            )
            .bind(now)
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("user_id")?, r.try_get("email")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await
        })?)
    }

    /// Every support agent and admin: (id, email).
    pub async fn support_agents(&self) -> StoreResult<Vec<(UserId, String)>> {
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query(
                "SELECT id, email FROM users WHERE role IN ('support', 'admin') ORDER BY email",
            )
            .fetch_all(p)
            .await?;
            rows.iter()
                .map(|r| Ok((r.try_get("id")?, r.try_get("email")?)))
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)?)
    }

    /// Canned responses, by shortcut.
    pub async fn support_canned(&self) -> StoreResult<Vec<Canned>> {
        Ok(with_pool!(self, |p| async {
            let rows =
                sqlx::query("SELECT id, shortcut, body FROM support_canned ORDER BY shortcut")
                    .fetch_all(p)
                    .await?;
            rows.iter()
                .map(|r| {
                    Ok(Canned {
                        id: r.try_get("id")?,
                        shortcut: r.try_get("shortcut")?,
                        body: r.try_get("body")?,
                    })
                })
                .collect::<Result<Vec<_>, sqlx::Error>>()
        }
        .await)?)
    }

    /// Adds a canned response; [`crate::store::StoreError::Conflict`] if the shortcut exists.
    pub async fn support_add_canned(
        &self,
        id: &CannedId,
        shortcut: &str,
        body: &str,
        by: &UserId,
        now: i64,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO support_canned (id, shortcut, body, created_by, created_at) VALUES ($1, $2, $3, $4, $5)"
        )
        .bind(id)
        .bind(shortcut)
        .bind(body)
        .bind(by)
        .bind(now)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Deletes a canned response.
    pub async fn support_delete_canned(&self, id: &CannedId) -> StoreResult<bool> {
        let n = with_pool!(self, |p| sqlx::query(
            "DELETE FROM support_canned WHERE id = $1"
        )
        .bind(id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(n > 0)
    }

    /// The agents' inbox: conversations with at least one message, most recent first.
    pub async fn support_inbox(
        &self,
        f: &InboxFilter,
        limit: i64,
        offset: i64,
    ) -> StoreResult<Vec<InboxRow>> {
        let columns = CONV_COLUMNS
            .split(", ")
            .map(|c| format!("c.{c}"))
            .collect::<Vec<_>>()
            .join(", ");
        // Every filter is a bound parameter; NULL means "any".
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {columns}, COALESCE(u.email, v.email, c.contact_email) AS customer_email, \
             (SELECT count(*) FROM support_messages m WHERE m.conversation_id = c.id AND m.author = 'customer' AND m.id > c.agent_last_read) AS unread, \
             (SELECT m.body FROM support_messages m WHERE m.conversation_id = c.id AND m.author <> 'note' ORDER BY m.id DESC LIMIT 1) AS preview \
             FROM support_conversations c LEFT JOIN users u ON u.id = c.user_id LEFT JOIN support_visitors v ON v.id = c.visitor_id \
             WHERE c.last_message_at IS NOT NULL \
             AND ($1 IS NULL OR c.status = $1) AND ($2 IS NULL OR c.kind = $2) AND ($3 IS NULL OR c.category = $3) \
             AND ($4 IS NULL OR ($4 = '' AND c.assignee_id IS NULL) OR c.assignee_id = $4) \
             AND ($6 IS NULL OR LOWER(COALESCE(u.email, v.email, c.contact_email, '')) LIKE $6 ESCAPE '\\' \
               OR LOWER(c.subject) LIKE $6 ESCAPE '\\' \
               OR EXISTS (SELECT 1 FROM support_messages s WHERE s.conversation_id = c.id AND s.author <> 'note' AND LOWER(s.body) LIKE $6 ESCAPE '\\')) \
             ORDER BY c.last_message_at DESC, c.id LIMIT $5 OFFSET $7"
        ));
        Ok(with_pool!(self, |p| async {
            let rows = sqlx::query(sql)
                .bind(f.status.map(Status::as_str))
                .bind(f.kind.map(Kind::as_str))
                .bind(f.category.map(Category::as_str))
                .bind(f.assignee.as_deref())
                .bind(limit)
                .bind(f.search.as_deref().map(like_pattern))
                .bind(offset)
                .fetch_all(p)
                .await?;
            let mut out = Vec::with_capacity(rows.len());
            for row in rows {
                let preview: Option<String> = row.try_get("preview")?;
                out.push(InboxRow {
                    customer_email: row.try_get("customer_email")?,
                    unread: row.try_get("unread")?,
                    preview: preview.unwrap_or_default().chars().take(140).collect(),
                    conversation: sqlx::FromRow::from_row(&row)?,
                });
            }
            Ok::<_, sqlx::Error>(out)
        }
        .await)?)
    }

    /// Open data deletion request tickets, oldest first: (conversation id, user id, created).
    pub async fn support_deletion_requests(&self) -> StoreResult<Vec<Conversation>> {
        let sql = sqlx::AssertSqlSafe(format!(
            "SELECT {CONV_COLUMNS} FROM support_conversations WHERE kind = 'ticket' AND category = 'data_deletion' AND status <> 'resolved' ORDER BY created_at, id"
        ));
        Ok(with_pool!(self, |p| sqlx::query_as(sql)
            .fetch_all(p)
            .await)?)
    }

    /// Moves everything a visitor wrote into an account (they signed in): a chat of the visitor
    /// joins the account's chat (or becomes it), and the visitor identity is removed. Returns
    /// whether there was anything to move.
    pub async fn support_adopt_visitor(
        &self,
        visitor_id: &VisitorId,
        user_id: &UserId,
        now: i64,
    ) -> StoreResult<bool> {
        let mut tx = self.begin().await?;
        let chat_of = |column: &'static str| {
            sqlx::AssertSqlSafe(format!(
                "SELECT id FROM support_conversations WHERE {column} = $1 AND kind = 'chat'"
            ))
        };
        let visitor_chat: Option<ConversationId> =
            with_tx!(&mut tx, |c| sqlx::query_scalar(chat_of("visitor_id"))
                .bind(visitor_id)
                .fetch_optional(c)
                .await)?;
        let account_chat: Option<ConversationId> =
            with_tx!(&mut tx, |c| sqlx::query_scalar(chat_of("user_id"))
                .bind(user_id)
                .fetch_optional(c)
                .await)?;
        if let (Some(from), Some(to)) = (&visitor_chat, &account_chat) {
            with_tx!(&mut tx, |c| sqlx::query(
                "UPDATE support_messages SET conversation_id = $1 WHERE conversation_id = $2"
            )
            .bind(to)
            .bind(from)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
            with_tx!(&mut tx, |c| {
                sqlx::query(
                "UPDATE support_conversations SET last_message_at = (SELECT max(created_at) FROM support_messages WHERE conversation_id = $1), status = 'open', updated_at = $2 WHERE id = $1"
            )
            .bind(to)
            .bind(now)
            .execute(c)
            .await
            .map(|r| r.rows_affected())
            })?;
            with_tx!(&mut tx, |c| sqlx::query(
                "DELETE FROM support_conversations WHERE id = $1"
            )
            .bind(from)
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        }
        let moved = with_tx!(&mut tx, |c| {
            sqlx::query(
            "UPDATE support_conversations SET user_id = $1, visitor_id = NULL, updated_at = $2 WHERE visitor_id = $3"
        )
        .bind(user_id)
        .bind(now)
        .bind(visitor_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected())
        })?;
        with_tx!(&mut tx, |c| sqlx::query(
            "DELETE FROM support_visitors WHERE id = $1"
        )
        .bind(visitor_id)
        .execute(c)
        .await
        .map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(moved > 0 || visitor_chat.is_some())
    }

    /// Sets (or with `None` clears) the name an agent shows customers.
    pub async fn support_set_display_name(
        &self,
        agent_id: &UserId,
        name: Option<&str>,
    ) -> StoreResult<()> {
        with_pool!(self, |p| {
            sqlx::query(
            "INSERT INTO support_agents (user_id, display_name) VALUES ($1, $2) ON CONFLICT (user_id) DO UPDATE SET display_name = excluded.display_name"
        )
        .bind(agent_id)
        .bind(name)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// The name an agent shows customers, if they chose one.
    pub async fn support_display_name(&self, agent_id: &UserId) -> StoreResult<Option<String>> {
        Ok(with_pool!(self, |p| sqlx::query_scalar(
            "SELECT display_name FROM support_agents WHERE user_id = $1"
        )
        .bind(agent_id)
        .fetch_optional(p)
        .await)?
        .flatten())
    }

    /// Turns a chat into a ticket with a category and subject; false when it is not a chat.
    pub async fn support_chat_to_ticket(
        &self,
        conversation_id: &ConversationId,
        category: &str,
        subject: &str,
        now: i64,
    ) -> StoreResult<bool> {
        let n = with_pool!(self, |p| {
            sqlx::query(
            "UPDATE support_conversations SET kind = 'ticket', category = $1, subject = $2, updated_at = $3 WHERE id = $4 AND kind = 'chat'"
        )
        .bind(category)
        .bind(subject)
        .bind(now)
        .bind(conversation_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected())
        })?;
        Ok(n == 1)
    }

    /// Sets a visitor's email (the offline form), so agents see who they are talking to.
    pub async fn support_set_visitor_email(
        &self,
        visitor_id: &VisitorId,
        email: &str,
    ) -> StoreResult<()> {
        with_pool!(self, |p| sqlx::query(
            "UPDATE support_visitors SET email = $1 WHERE id = $2"
        )
        .bind(email)
        .bind(visitor_id)
        .execute(p)
        .await
        .map(|r| r.rows_affected()))?;
        Ok(())
    }
}
