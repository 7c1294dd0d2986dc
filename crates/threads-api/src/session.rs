//! A client bound to one user's token.

use reqwest::Method;

use crate::client::{Call, ThreadsClient};
use crate::ids::UserId;
use crate::secret::AccessToken;

/// Calls on behalf of one Threads user. Create with [`ThreadsClient::session`]; cheap to clone.
///
/// The endpoint methods live in the `endpoints` modules: reads (profile, posts, media, replies,
/// conversation, quota), insights, and publishing.
#[derive(Clone, Debug)]
pub struct Session {
    client: ThreadsClient,
    token: AccessToken,
    user: UserId,
}

impl Session {
    pub(crate) fn new(client: ThreadsClient, token: AccessToken, user: UserId) -> Self {
        Self {
            client,
            token,
            user,
        }
    }

    /// Uses an explicit user id in `/{user-id}/...` paths instead of `me`.
    pub fn for_user(mut self, user: UserId) -> Self {
        self.user = user;
        self
    }

    /// The user id used in paths (`me` unless set).
    pub fn user_id(&self) -> &UserId {
        &self.user
    }

    /// The underlying client (for the call counter and configuration).
    pub fn client(&self) -> &ThreadsClient {
        &self.client
    }

    /// The token this session sends.
    pub fn token(&self) -> &AccessToken {
        &self.token
    }

    /// An authenticated call to a versioned Graph path.
    pub(crate) fn call(&self, method: Method, segments: &[&str]) -> Call {
        Call::new(method, self.client.graph_url(true, segments)).token(&self.token)
    }
}
