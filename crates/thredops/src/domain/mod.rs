//! Domain types parsed at the edge ("parse, don't validate").

mod email;
pub(crate) mod format;
pub(crate) mod ids;
mod password;
mod role;
mod workspace_role;

pub use email::Email;
pub(crate) use ids::id_type;
pub use ids::{
    AuditId, ConversationId, MediaId, PostId, ProfileId, SessionId, ThreadsUserId, UserId,
    WorkspaceId,
};
pub use password::{NewPassword, PasswordRejection};
pub use role::Role;
pub use workspace_role::{Need, RoleRefusal, WorkspaceRole};
