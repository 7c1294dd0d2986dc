//! Who is asking, as plain values the product areas take; the web layer builds them from the
//! request (session cookie, peer address) and the areas never see the request itself.

use std::net::IpAddr;

use crate::domain::{Need, RoleRefusal, SessionId, WorkspaceId, WorkspaceRole};
use crate::store::sessions::Seat;
use crate::store::users::UserRecord;

/// A signed-in user with a live session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: UserRecord,
    /// The session the request came with.
    pub session_id: SessionId,
    /// The workspace the request acts in, and the user's role there.
    pub workspace: ActiveWorkspace,
}

/// The workspace a request acts in. A workspace is an account: its profiles, posts and audits
/// are keyed by that account's id, which is the workspace's id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveWorkspace {
    /// The workspace (the id of the account that owns it).
    pub id: WorkspaceId,
    /// The user's role there.
    pub role: WorkspaceRole,
}

impl ActiveWorkspace {
    /// The user's own workspace, where they are the owner.
    pub fn own(user: &UserRecord) -> Self {
        Self {
            id: WorkspaceId::owned_by(&user.id),
            role: WorkspaceRole::Owner,
        }
    }

    /// The workspace a session acts in: the seat's, or the user's own without one (an unknown
    /// stored role, which the schema forbids, reads as the least: reviewer).
    pub fn of(user: &UserRecord, seat: Option<Seat>) -> Self {
        match seat {
            Some(seat) => Self {
                role: seat.role,
                id: seat.workspace_id,
            },
            None => Self::own(user),
        }
    }

    /// Whether the user acts in their own workspace.
    pub fn is_own(&self, user: &UserRecord) -> bool {
        self.id.is_owned_by(&user.id)
    }
}

impl CurrentUser {
    /// The id that keys the workspace's data (profiles, posts, audits, webhooks...).
    pub fn workspace_id(&self) -> &WorkspaceId {
        &self.workspace.id
    }

    /// Refuses unless the user's role in the workspace allows `need`.
    pub fn require(&self, need: Need) -> Result<(), RoleRefusal> {
        if self.workspace.role.may(need) {
            Ok(())
        } else {
            Err(RoleRefusal)
        }
    }
}

/// The client's address and browser, for throttling and the sessions list.
#[derive(Debug, Clone)]
pub struct ClientInfo {
    /// Address used for throttling and the sessions list.
    pub ip: IpAddr,
    /// User-Agent, truncated.
    pub user_agent: String,
    /// The device cookie, if the browser sent one (checked against an account when used).
    pub device: Option<String>,
}
