//! Access tokens and authorization codes (§1 of the reference).

use std::collections::HashMap;

use chrono::{DateTime, Duration, Utc};
use rand::Rng;
use serde::{Deserialize, Serialize};

use crate::errors::ApiError;

/// Every scope the sandbox knows (§1.2).
pub const ALL_SCOPES: &[&str] = &[
    "threads_basic",
    "threads_content_publish",
    "threads_read_replies",
    "threads_manage_replies",
    "threads_manage_insights",
    "threads_delete",
    "threads_keyword_search",
    "threads_manage_mentions",
    "threads_location_tagging",
    "threads_profile_discovery",
];

/// Lifetime of a short-lived token.
pub const SHORT_LIVED: Duration = Duration::hours(1);
/// Lifetime of a long-lived token (60 days).
pub const LONG_LIVED: Duration = Duration::days(60);
/// How old a long-lived token must be before it can be refreshed.
pub const REFRESH_MIN_AGE: Duration = Duration::hours(24);
/// Lifetime of an authorization code.
pub const CODE_LIFETIME: Duration = Duration::hours(1);

/// Short- or long-lived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TokenKind {
    /// 1 h, from the code exchange.
    Short,
    /// 60 d, from the exchange or a refresh.
    #[default]
    Long,
}

/// What a token grants.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// The creator's user id.
    pub user_id: u64,
    /// Granted scopes.
    pub scopes: Vec<String>,
    /// Short or long.
    pub kind: TokenKind,
    /// When it was issued (sandbox time).
    pub issued_at: DateTime<Utc>,
    /// When it stops working (sandbox time).
    pub expires_at: DateTime<Utc>,
    /// Revoked through the admin API.
    pub revoked: bool,
}

impl TokenInfo {
    /// Whether the token grants `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.iter().any(|s| s == scope)
    }

    /// Fails with code 10 unless the token grants `scope`.
    pub fn require(&self, scope: &str) -> Result<(), ApiError> {
        if self.has_scope(scope) {
            Ok(())
        } else {
            Err(ApiError::missing_scope(scope))
        }
    }
}

/// A pending authorization code.
#[derive(Debug, Clone)]
pub struct CodeGrant {
    /// Creator who consented.
    pub user_id: u64,
    /// Scopes consented to.
    pub scopes: Vec<String>,
    /// The redirect URI the code was issued for.
    pub redirect_uri: String,
    /// Issue time.
    pub issued_at: DateTime<Utc>,
}

/// All issued tokens and codes.
///
/// Tokens are also self-describing and signed with a key derived from the seed and app secret,
/// so another sandbox process with the same seed accepts them (e.g. `thredops demo` run beside
/// `thredops serve`). Revocations stay local to the process that saw them.
#[derive(Debug, Default)]
pub struct TokenStore {
    tokens: HashMap<String, TokenInfo>,
    codes: HashMap<String, CodeGrant>,
    key: [u8; 32],
}

impl TokenStore {
    /// A store whose tokens verify in every sandbox built from the same seed and app secret.
    pub fn new(seed: u64, app_secret: &str) -> Self {
        use sha2::Digest;
        let key =
            sha2::Sha256::digest(format!("threads-sandbox/tokens/{seed}/{app_secret}").as_bytes())
                .into();
        Self {
            key,
            ..Self::default()
        }
    }

    fn mac(&self, body: &str) -> String {
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.key);
        h.update(body.as_bytes());
        h.update(self.key);
        hex::encode(&h.finalize()[..16])
    }

    fn encode(&self, info: &TokenInfo) -> String {
        let mask: u32 = ALL_SCOPES
            .iter()
            .enumerate()
            .filter(|(_, s)| info.scopes.iter().any(|x| x == *s))
            .map(|(i, _)| 1 << i)
            .sum();
        let kind = match info.kind {
            TokenKind::Short => 's',
            TokenKind::Long => 'l',
        };
        let body = format!(
            "{}.{kind}.{}.{mask}.{}",
            info.user_id,
            info.issued_at.timestamp(),
            random_string(24)
        );
        format!("TH{}{}", hex::encode(body.as_bytes()), self.mac(&body))
    }

    fn decode(&self, token: &str) -> Option<TokenInfo> {
        let rest = token.strip_prefix("TH")?;
        let (body_hex, mac) = rest.split_at(rest.len().checked_sub(32)?);
        let body = String::from_utf8(hex::decode(body_hex).ok()?).ok()?;
        if self.mac(&body) != mac {
            return None;
        }
        let mut parts = body.split('.');
        let user_id = parts.next()?.parse().ok()?;
        let kind = match parts.next()? {
            "s" => TokenKind::Short,
            "l" => TokenKind::Long,
            _ => return None,
        };
        let issued_at = DateTime::from_timestamp(parts.next()?.parse().ok()?, 0)?;
        let mask: u32 = parts.next()?.parse().ok()?;
        let scopes = ALL_SCOPES
            .iter()
            .enumerate()
            .filter(|(i, _)| mask & (1 << i) != 0)
            .map(|(_, s)| (*s).to_owned())
            .collect();
        let lifetime = match kind {
            TokenKind::Short => SHORT_LIVED,
            TokenKind::Long => LONG_LIVED,
        };
        Some(TokenInfo {
            user_id,
            scopes,
            kind,
            issued_at,
            expires_at: issued_at + lifetime,
            revoked: false,
        })
    }

    /// Issues a token for `user_id`.
    pub fn mint(
        &mut self,
        user_id: u64,
        scopes: Vec<String>,
        kind: TokenKind,
        now: DateTime<Utc>,
    ) -> (String, TokenInfo) {
        let lifetime = match kind {
            TokenKind::Short => SHORT_LIVED,
            TokenKind::Long => LONG_LIVED,
        };
        let info = TokenInfo {
            user_id,
            scopes,
            kind,
            issued_at: now,
            expires_at: now + lifetime,
            revoked: false,
        };
        let token = self.encode(&info);
        self.tokens.insert(token.clone(), info.clone());
        (token, info)
    }

    /// Validates a token at `now`: unknown -> 190, expired -> 190/463, revoked -> 190/460.
    pub fn validate(&self, token: &str, now: DateTime<Utc>) -> Result<TokenInfo, ApiError> {
        let info = match self.tokens.get(token) {
            Some(info) => info.clone(),
            None => self.decode(token).ok_or_else(ApiError::malformed_token)?,
        };
        if info.revoked {
            return Err(ApiError::revoked_token());
        }
        if now >= info.expires_at {
            return Err(ApiError::expired_token());
        }
        Ok(info)
    }

    /// Revokes one token; returns whether it existed.
    pub fn revoke(&mut self, token: &str) -> bool {
        if !self.tokens.contains_key(token)
            && let Some(info) = self.decode(token)
        {
            self.tokens.insert(token.to_owned(), info);
        }
        self.tokens
            .get_mut(token)
            .map(|info| info.revoked = true)
            .is_some()
    }

    /// Revokes every token of a user; returns how many.
    pub fn revoke_user(&mut self, user_id: u64) -> usize {
        let mut n = 0;
        for info in self.tokens.values_mut().filter(|i| i.user_id == user_id) {
            info.revoked = true;
            n += 1;
        }
        n
    }

    /// Issues a single-use authorization code.
    pub fn issue_code(&mut self, grant: CodeGrant) -> String {
        let code = format!("AQ{}", random_string(120));
        self.codes.insert(code.clone(), grant);
        code
    }

    /// Consumes a code: it works once and only within [`CODE_LIFETIME`].
    pub fn take_code(&mut self, code: &str, now: DateTime<Utc>) -> Option<CodeGrant> {
        let grant = self.codes.remove(code)?;
        (now < grant.issued_at + CODE_LIFETIME).then_some(grant)
    }
}

fn random_string(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut rng = rand::rng();
    (0..len)
        .map(|_| ALPHABET[rng.random_range(0..ALPHABET.len())] as char)
        .collect()
}

/// Splits a scope parameter, comma- or space-separated.
pub fn parse_scopes(text: &str) -> Vec<String> {
    let mut scopes: Vec<String> = text
        .split([',', ' ', '+'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect();
    scopes.dedup();
    scopes
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_works_once_and_only_within_an_hour() {
        let mut store = TokenStore::default();
        let now = Utc::now();
        let grant = CodeGrant {
            user_id: 1,
            scopes: vec![],
            redirect_uri: "x".into(),
            issued_at: now,
        };
        let code = store.issue_code(grant.clone());
        assert!(store.take_code(&code, now).is_some());
        assert!(store.take_code(&code, now).is_none());
        let late = store.issue_code(grant);
        assert!(
            store
                .take_code(&late, now + Duration::minutes(61))
                .is_none()
        );
    }

    #[test]
    fn tokens_expire_and_can_be_revoked() {
        let mut store = TokenStore::default();
        let now = Utc::now();
        let (t, _) = store.mint(1, vec![], TokenKind::Short, now);
        assert!(t.starts_with("TH"));
        assert!(store.validate(&t, now).is_ok());
        assert_eq!(
            store.validate(&t, now + SHORT_LIVED).unwrap_err().subcode,
            Some(463)
        );
        store.revoke(&t);
        assert_eq!(store.validate(&t, now).unwrap_err().subcode, Some(460));
    }
}

#[cfg(test)]
mod stateless_tests {
    use super::*;

    #[test]
    fn tokens_verify_in_another_sandbox_with_the_same_seed_only() {
        let now = Utc::now();
        let (token, _) = TokenStore::new(42, "s").mint(
            7,
            vec!["threads_basic".into(), "threads_manage_insights".into()],
            TokenKind::Long,
            now,
        );
        let other = TokenStore::new(42, "s").validate(&token, now).unwrap();
        assert_eq!(other.user_id, 7);
        assert!(other.has_scope("threads_manage_insights") && !other.has_scope("threads_delete"));
        assert!(TokenStore::new(43, "s").validate(&token, now).is_err());
        let mut tampered = token.clone();
        tampered.replace_range(4..5, if &token[4..5] == "a" { "b" } else { "a" });
        assert!(TokenStore::new(42, "s").validate(&tampered, now).is_err());
        assert!(
            TokenStore::new(42, "s")
                .validate(&token, now + LONG_LIVED)
                .is_err(),
            "expiry still applies"
        );
    }
}
