//! Token endpoints (§1). These are unversioned, as in Meta's docs.

use chrono::{DateTime, Utc};
use reqwest::Method;
use url::Url;

use crate::auth::{
    AppCredentials, AuthorizeRequest, LONG_LIVED_LIFETIME, LongLivedToken, RawToken,
    SHORT_LIVED_LIFETIME, Scope, ShortLivedToken,
};
use crate::client::{Call, ThreadsClient};
use crate::error::{Error, Result};
use crate::secret::{AccessToken, ClientSecret};

impl ThreadsClient {
    /// The authorization window URL (`{authorize_base}/oauth/authorize?...`) to send the user to.
    pub fn authorize_url(&self, request: &AuthorizeRequest) -> Url {
        let mut url = self.config().authorize_base.clone();
        if let Ok(mut path) = url.path_segments_mut() {
            path.pop_if_empty().extend(["oauth", "authorize"]);
        }
        let mut scopes = vec![Scope::Basic.as_str()];
        scopes.extend(
            request
                .scopes
                .iter()
                .filter(|s| **s != Scope::Basic)
                .map(|s| s.as_str()),
        );
        {
            let mut q = url.query_pairs_mut();
            q.append_pair("client_id", &request.client_id)
                .append_pair("redirect_uri", &request.redirect_uri)
                .append_pair("scope", &scopes.join(","))
                .append_pair("response_type", "code");
            if let Some(state) = &request.state {
                q.append_pair("state", state);
            }
        }
        url
    }

    /// `POST /oauth/access_token`: trades an authorization code for a 1 h token.
    ///
    /// Codes are single use, so this is retried only when the request never reached Meta.
    /// A bad or reused code classifies as [`crate::ErrorClass::Reauth`].
    pub async fn exchange_code(
        &self,
        app: &AppCredentials,
        redirect_uri: &str,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<ShortLivedToken> {
        let form = [
            ("client_id", app.client_id.as_str()),
            ("client_secret", app.client_secret.expose()),
            ("code", code),
            ("grant_type", "authorization_code"),
            ("redirect_uri", redirect_uri),
        ]
        .map(|(k, v)| (k.to_owned(), v.to_owned()));
        let call = Call::new(
            Method::POST,
            self.graph_url(false, &["oauth", "access_token"]),
        )
        .form(form)
        .unsafe_to_repeat();
        let raw: RawToken = self.call(&call).await?;
        let expires_at = raw.expires_at(now, SHORT_LIVED_LIFETIME);
        let expires_in = raw.expires_in();
        let user_id = raw.user_id.ok_or_else(|| Error::Decode {
            status: 200,
            detail: "code exchange answer has no user_id".into(),
            retry_after: None,
            truncated: false,
        })?;
        Ok(ShortLivedToken {
            access_token: raw.access_token,
            user_id,
            token_type: raw.token_type,
            expires_in,
            expires_at,
        })
    }

    /// `GET /access_token?grant_type=th_exchange_token`: trades an unexpired short-lived token
    /// for a 60-day one. Server-side only: it carries the app secret.
    pub async fn exchange_for_long_lived(
        &self,
        client_secret: &ClientSecret,
        short_lived: &AccessToken,
        now: DateTime<Utc>,
    ) -> Result<LongLivedToken> {
        let call = Call::new(Method::GET, self.graph_url(false, &["access_token"]))
            .query("grant_type", "th_exchange_token")
            .query("client_secret", client_secret.expose())
            .token(short_lived);
        self.long_lived(&call, now).await
    }

    /// `GET /refresh_access_token?grant_type=th_refresh_token`: extends a long-lived token that
    /// is at least 24 h old and unexpired by 60 days from now.
    pub async fn refresh_long_lived(
        &self,
        long_lived: &AccessToken,
        now: DateTime<Utc>,
    ) -> Result<LongLivedToken> {
        let call = Call::new(
            Method::GET,
            self.graph_url(false, &["refresh_access_token"]),
        )
        .query("grant_type", "th_refresh_token")
        .token(long_lived);
        self.long_lived(&call, now).await
    }

    async fn long_lived(&self, call: &Call, now: DateTime<Utc>) -> Result<LongLivedToken> {
        let raw: RawToken = self.call(call).await?;
        Ok(LongLivedToken {
            expires_at: raw.expires_at(now, LONG_LIVED_LIFETIME),
            expires_in: raw.expires_in(),
            access_token: raw.access_token,
            token_type: raw.token_type,
        })
    }
}
