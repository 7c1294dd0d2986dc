//! Session tokens: HS256 JWTs with a key id, naming a server-side session.
//!
//! The algorithm is pinned, so `alg: none` or an RSA/HMAC confusion cannot pass. Keys live in the
//! database wrapped by the master key; rotating adds a key that signs from then on while older
//! keys keep verifying the tokens they signed until those expire.

use std::collections::HashMap;
use std::sync::Arc;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::RngCore;
use serde::{Deserialize, Serialize};

use crate::crypto::{MasterKey, aead};
use crate::domain::{SessionId, UserId};
use crate::store::{Store, StoreResult};

/// Audience of ThredOps session tokens.
pub const AUDIENCE: &str = "thredops-web";

/// The claims ThredOps puts in a session token.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    /// Issuer: the public URL.
    pub iss: String,
    /// Audience.
    pub aud: String,
    /// The user id.
    pub sub: UserId,
    /// The session id (a row in `sessions`).
    pub sid: SessionId,
    /// Issued at.
    pub iat: i64,
    /// Not before.
    pub nbf: i64,
    /// Expires.
    pub exp: i64,
}

/// Why a token was refused. Deliberately coarse: callers answer 401 either way.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TokenError {
    /// Bad signature, unknown key, wrong algorithm, malformed, expired, not yet valid, wrong
    /// issuer or audience.
    #[error("invalid session token")]
    Invalid,
}

/// The signing keys in memory: the current one and every one that still verifies.
#[derive(Clone)]
pub struct Keyring {
    inner: Arc<KeyringInner>,
}

struct KeyringInner {
    current: (String, EncodingKey),
    verify: HashMap<String, DecodingKey>,
    issuer: String,
    /// What every token must satisfy; built once, as it is the same for every request.
    validation: Validation,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("current_kid", &self.inner.current.0)
            .finish_non_exhaustive()
    }
}

fn aad(kid: &str) -> Vec<u8> {
    format!("signing-key/{kid}").into_bytes()
}

impl Keyring {
    /// Loads keys from the store, creating the first one if there is none.
    pub async fn load(
        store: &Store,
        master: &MasterKey,
        issuer: &str,
        now: i64,
    ) -> anyhow::Result<Self> {
        let mut records = store.signing_keys().await?;
        if !records.iter().any(|r| r.retired_at.is_none()) {
            Self::rotate(store, master, now).await?;
            records = store.signing_keys().await?;
        }
        let wrap_key = master.derive("signing-key-wrap");
        let mut verify = HashMap::new();
        let mut current = None;
        for r in records {
            let raw = aead::open(&wrap_key, &aad(&r.kid), &r.wrapped_key).map_err(|_| {
                anyhow::anyhow!(
                    "signing key {} cannot be unwrapped: was the master key changed?",
                    r.kid
                )
            })?;
            verify.insert(r.kid.clone(), DecodingKey::from_secret(&raw));
            if r.retired_at.is_none() && current.is_none() {
                current = Some((r.kid.clone(), EncodingKey::from_secret(&raw)));
            }
        }
        let current = current.ok_or_else(|| anyhow::anyhow!("no current signing key"))?;
        Ok(Self {
            inner: Arc::new(KeyringInner {
                current,
                verify,
                issuer: issuer.to_owned(),
                validation: validation(issuer),
            }),
        })
    }

    /// Creates a new signing key; it signs from the next load on, older keys keep verifying.
    pub async fn rotate(store: &Store, master: &MasterKey, now: i64) -> StoreResult<String> {
        let mut raw = [0u8; 32];
        rand::rng().fill_bytes(&mut raw);
        let kid = crate::crypto::random_token(9);
        let wrapped = aead::seal(&master.derive("signing-key-wrap"), &aad(&kid), &raw);
        store
            .add_signing_key(&kid, &wrapped, &master.id(), now)
            .await?;
        Ok(kid)
    }

    /// The issuer placed in and required of every token.
    pub fn issuer(&self) -> &str {
        &self.inner.issuer
    }

    /// Signs a token for a session.
    pub fn issue(
        &self,
        user_id: &UserId,
        session_id: &SessionId,
        now: i64,
        expires_at: i64,
    ) -> String {
        let claims = Claims {
            iss: self.inner.issuer.clone(),
            aud: AUDIENCE.to_owned(),
            sub: user_id.clone(),
            sid: session_id.clone(),
            iat: now,
            nbf: now,
            exp: expires_at,
        };
        self.sign(&claims)
    }

    /// Signs arbitrary claims with the current key (tests use it to build edge cases).
    pub fn sign(&self, claims: &Claims) -> String {
        let mut header = Header::new(Algorithm::HS256);
        header.kid = Some(self.inner.current.0.clone());
        jsonwebtoken::encode(&header, claims, &self.inner.current.1)
            .expect("HS256 signing cannot fail")
    }

    /// Verifies signature, algorithm, key id, issuer, audience and times.
    pub fn verify(&self, token: &str) -> Result<Claims, TokenError> {
        let header = jsonwebtoken::decode_header(token).map_err(|_| TokenError::Invalid)?;
        if header.alg != Algorithm::HS256 {
            return Err(TokenError::Invalid);
        }
        let kid = header.kid.ok_or(TokenError::Invalid)?;
        let key = self.inner.verify.get(&kid).ok_or(TokenError::Invalid)?;
        let claims = jsonwebtoken::decode::<Claims>(token, key, &self.inner.validation)
            .map(|data| data.claims)
            .map_err(|_| TokenError::Invalid)?;
        // The times against the product's one clock (jsonwebtoken would read the system's).
        let now = crate::clock::now_unix();
        if claims.exp <= now - LEEWAY_SECS || claims.nbf > now + LEEWAY_SECS {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

/// How far a token's times may be off the clock, for clocks of instances that differ a little.
const LEEWAY_SECS: i64 = 5;

/// HS256 only, issuer and audience ours, every time claim required; `exp` and `nbf` are checked
/// in [`Keyring::verify`] against [`crate::clock`].
fn validation(issuer: &str) -> Validation {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.validate_exp = false;
    validation.validate_nbf = false;
    validation.set_audience(&[AUDIENCE]);
    validation.set_issuer(&[issuer]);
    validation.set_required_spec_claims(&["exp", "nbf", "iat", "iss", "aud", "sub"]);
    validation
}
