//! The support desk: live chat over WebSockets for visitors and creators, an agent console,
//! tickets (including data deletion requests), and email when nobody is around.
//!
//! Messages are committed before they are broadcast through the [`Hub`]; clients resume from
//! their last seen message id, so a reconnect loses and repeats nothing.

pub(crate) mod attachments;
pub(crate) mod desk;
pub(crate) mod hub;
pub(crate) mod mail;
pub(crate) mod model;
pub(crate) mod reads;
pub(crate) mod socket;
mod socket_actions;
mod socket_guard;
pub(crate) mod store;
pub mod threads_data;
mod throttle;
pub(crate) mod tickets;
pub(crate) mod workflow;

pub use hub::Hub;
pub use throttle::ChatThrottle;

crate::domain::id_type!(
    /// An anonymous chat visitor, known by their continuity cookie.
    VisitorId
);
crate::domain::id_type!(
    /// An image sent with a support message (also its sealing subject).
    AttachmentId
);
crate::domain::id_type!(
    /// A canned response of the agent console.
    CannedId
);
crate::domain::id_type!(
    /// A client's idempotency key for a message it sends (chosen by the client, at most 64
    /// visible ASCII characters), so a resend stores nothing twice.
    ClientMessageId
);

use crate::app::AppState;
use crate::domain::ConversationId;
use crate::jobs::Runner;
use crate::store::{Store, StoreResult};

/// Job kinds of this feature.
pub mod kind {
    /// Emails agent replies the customer has not read in the app.
    pub const EMAIL_REPLY: &str = super::store::post::EMAIL_JOB;
    /// Reopens snoozed conversations and purges long-idle visitors (recurring).
    pub const HOUSEKEEPING: &str = "support.housekeeping";
    /// Emails the team about a customer message written while no agent was online.
    pub const NOTIFY_TEAM: &str = "support.notify_team";
}

/// Registers this feature's job handlers.
pub fn register_jobs(runner: Runner, state: &AppState) -> Runner {
    mail::register(runner, state)
}

/// For the privacy area: open "Data deletion request" tickets, oldest first. Each names the
/// account (`user_id`) that asked; resolve the ticket (status `resolved`) once the deletion is
/// done, e.g. through [`resolve_deletion_request`].
pub async fn deletion_requests(store: &Store) -> StoreResult<Vec<store::Conversation>> {
    store.support_deletion_requests().await
}

/// For the privacy area: marks a deletion request ticket resolved. Deleting the account also
/// removes the ticket with everything else of that user.
pub async fn resolve_deletion_request(
    store: &Store,
    ticket_id: &ConversationId,
) -> StoreResult<bool> {
    store
        .support_set_status(
            ticket_id,
            model::Status::Resolved,
            None,
            crate::clock::now_unix(),
        )
        .await
}
