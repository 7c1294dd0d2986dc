//! Who is asking, as plain values the product areas take; the web layer builds them from the
//! request (session cookie, peer address) and the areas never see the request itself.

use std::net::IpAddr;

use crate::store::users::UserRecord;

/// A signed-in user with a live session.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    /// The account.
    pub user: UserRecord,
    /// The session the request came with.
    pub session_id: String,
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
