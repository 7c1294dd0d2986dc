//! Authentication: passwords, session tokens, CSRF and throttling.

pub mod csrf;
pub mod password;
pub mod throttle;
pub mod tokens;

pub use csrf::Csrf;
pub use throttle::{RetryAfter, Throttle};
pub use tokens::{Claims, Keyring, TokenError};
