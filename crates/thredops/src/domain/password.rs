//! The password policy: length and a list of common passwords shipped with the app.

use std::collections::HashSet;
use std::sync::OnceLock;

use crate::config::Secret;

/// Shortest accepted password.
pub const MIN_LEN: usize = 10;
/// Longest accepted password (argon2 handles more, but a bound stops abuse).
pub const MAX_LEN: usize = 256;

/// Why a new password was refused; `Display` is the message shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    /// Fewer than [`MIN_LEN`] characters.
    #[error("Use at least 10 characters.")]
    TooShort,
    /// More than [`MAX_LEN`] characters.
    #[error("Use at most 256 characters.")]
    TooLong,
    /// Found in the common-password list.
    #[error("That password is too common; choose one that is harder to guess.")]
    Common,
    /// Contains the email's local part.
    #[error("Don't use your email address in your password.")]
    ContainsEmail,
}

/// A password that passed the policy, kept secret.
#[derive(Debug, Clone)]
pub struct NewPassword(Secret);

impl NewPassword {
    /// Checks a candidate password; `email` is used to refuse passwords built from it.
    pub fn parse(candidate: &str, email: Option<&str>) -> Result<Self, PasswordRejection> {
        let chars = candidate.chars().count();
        if chars < MIN_LEN {
            return Err(PasswordRejection::TooShort);
        }
        if chars > MAX_LEN {
            return Err(PasswordRejection::TooLong);
        }
        if common_passwords().contains(candidate.to_lowercase().as_str()) {
            return Err(PasswordRejection::Common);
        }
        let local_part = email
            .and_then(|e| e.split('@').next())
            .filter(|l| l.len() >= 4);
        if local_part.is_some_and(|local| candidate.to_lowercase().contains(&local.to_lowercase()))
        {
            return Err(PasswordRejection::ContainsEmail);
        }
        Ok(Self(Secret::new(candidate)))
    }

    /// The password text, for hashing.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

fn common_passwords() -> &'static HashSet<&'static str> {
    static LIST: OnceLock<HashSet<&'static str>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enforces_length_bounds() {
        assert_eq!(
            NewPassword::parse("short1!", None).unwrap_err(),
            PasswordRejection::TooShort
        );
        assert_eq!(
            NewPassword::parse(&"x".repeat(257), None).unwrap_err(),
            PasswordRejection::TooLong
        );
        assert!(
            NewPassword::parse(&"Zq7-".repeat(32), None).is_ok(),
            "128 chars must be accepted"
        );
    }

    #[test]
    fn refuses_common_passwords_whatever_their_case() {
        assert_eq!(
            NewPassword::parse("Password123", None).unwrap_err(),
            PasswordRejection::Common
        );
        assert_eq!(
            NewPassword::parse("qwertyuiop", None).unwrap_err(),
            PasswordRejection::Common
        );
        assert!(NewPassword::parse("correct horse battery", None).is_ok());
    }

    #[test]
    fn refuses_passwords_built_from_the_email() {
        let err = NewPassword::parse("mayalopez2026!", Some("mayalopez@example.com")).unwrap_err();
        assert_eq!(err, PasswordRejection::ContainsEmail);
    }

    #[test]
    fn the_list_is_lowercase_so_lookups_match() {
        assert!(common_passwords().len() > 200);
        assert!(common_passwords().iter().all(|p| *p == p.to_lowercase()));
    }
}
