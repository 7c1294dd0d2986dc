//! Every cookie ThredOps sets, in one registry. The cookie policy page is generated from it, and
//! the no-tracking test fails on any cookie that is not listed here.

use axum::http::HeaderMap;
use cookie::{Cookie, SameSite};

/// One cookie ThredOps may set.
#[derive(Debug, Clone, Copy)]
pub struct CookieSpec {
    /// Name without the `__Host-` prefix (added when served over https).
    pub name: &'static str,
    /// Why it exists, in plain words.
    pub purpose: &'static str,
    /// How long it lives, in plain words.
    pub lifetime: &'static str,
    /// Whether the service cannot work without it.
    pub essential: bool,
}

/// The sign-in cookie (a JWT naming a server-side session).
pub const SESSION: CookieSpec = CookieSpec {
    name: "thredops_session",
    purpose: "Keeps you signed in: a signed JSON Web Token (JWT) that names your session. HttpOnly, so page scripts cannot read it.",
    lifetime: "Until you sign out, or at most 14 days (the session also ends after 12 hours without use).",
    essential: true,
};

/// The signed double-submit token for forms used before sign-in.
pub const CSRF: CookieSpec = CookieSpec {
    name: "thredops_csrf",
    purpose: "Protects the sign-in and sign-up forms against cross-site request forgery.",
    lifetime: "Until you close the browser.",
    essential: true,
};

/// The support chat continuity token (a random 256-bit value; only its hash is stored). Set only
/// when a signed-out visitor opens the chat.
pub const SUPPORT_CHAT: CookieSpec = CookieSpec {
    name: "thredops_support",
    purpose: "Keeps your support chat history so a conversation can continue. It is set only when you open the chat, and holds a random token that opens your own conversation and no one else's.",
    lifetime: "12 months after your last chat visit.",
    essential: true,
};

/// Marks a browser that signed in to an account before (a random value signed for that account;
/// it names no account). Set after a full sign-in or a password reset.
pub const DEVICE: CookieSpec = CookieSpec {
    name: "thredops_device",
    purpose: "Remembers that this browser signed in to your account before, so that someone else guessing your password cannot lock you out here. It holds a random value and is not a sign-in by itself.",
    lifetime: "12 months.",
    essential: true,
};

/// Between a right password and the second factor: which account is half signed in.
pub const SECOND_FACTOR: CookieSpec = CookieSpec {
    name: "thredops_2fa",
    purpose: "Remembers, for five minutes, that you entered the right password and still need to enter your authenticator code.",
    lifetime: "Five minutes, or until you finish signing in.",
    essential: true,
};

/// Every cookie, for the policy page and the tracking test.
pub const REGISTRY: &[CookieSpec] = &[SESSION, CSRF, SUPPORT_CHAT, DEVICE, SECOND_FACTOR];

/// Cookie names and flags for this deployment.
#[derive(Debug, Clone)]
pub struct CookieJar {
    secure: bool,
}

impl CookieJar {
    /// `secure` when the public URL is https: adds `Secure` and the `__Host-` prefix.
    pub fn new(secure: bool) -> Self {
        Self { secure }
    }

    /// The name a spec has in this deployment.
    pub fn name(&self, spec: &CookieSpec) -> String {
        if self.secure {
            format!("__Host-{}", spec.name)
        } else {
            spec.name.to_owned()
        }
    }

    /// Reads a cookie from request headers.
    pub fn read(&self, headers: &HeaderMap, spec: &CookieSpec) -> Option<String> {
        let wanted = self.name(spec);
        headers
            .get_all(axum::http::header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(';'))
            .filter_map(|pair| Cookie::parse(pair.trim().to_owned()).ok())
            .find(|c| c.name() == wanted)
            .map(|c| c.value().to_owned())
    }

    /// A `Set-Cookie` value; `max_age` of `None` makes a browser-session cookie.
    pub fn set(
        &self,
        spec: &CookieSpec,
        value: &str,
        max_age: Option<std::time::Duration>,
    ) -> String {
        let mut c = Cookie::build((self.name(spec), value.to_owned()))
            .path("/")
            .http_only(true)
            .same_site(SameSite::Lax)
            .secure(self.secure);
        if let Some(age) = max_age {
            c = c.max_age(cookie::time::Duration::seconds(age.as_secs() as i64));
        }
        c.build().to_string()
    }

    /// A `Set-Cookie` value that deletes the cookie.
    pub fn clear(&self, spec: &CookieSpec) -> String {
        self.set(spec, "", Some(std::time::Duration::ZERO))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_deployments_get_host_prefix_and_secure() {
        let jar = CookieJar::new(true);
        let v = jar.set(&SESSION, "t", None);
        assert!(v.starts_with("__Host-thredops_session=t"), "{v}");
        for flag in ["HttpOnly", "SameSite=Lax", "Secure", "Path=/"] {
            assert!(v.contains(flag), "{v} lacks {flag}");
        }
        assert!(
            !v.contains("Domain"),
            "__Host- cookies must not carry a Domain"
        );
    }

    #[test]
    fn plain_http_deployments_drop_secure_and_prefix() {
        let v = CookieJar::new(false).set(&SESSION, "t", None);
        assert!(
            v.starts_with("thredops_session=t") && !v.contains("Secure"),
            "{v}"
        );
    }
}
