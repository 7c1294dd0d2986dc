//! Authentication: passwords, session tokens, CSRF and throttling.

pub mod csrf;
mod current;
pub mod password;
pub mod throttle;
pub mod tokens;

pub use csrf::Csrf;
pub use current::{ClientInfo, CurrentUser};
pub use throttle::{RetryAfter, Throttle};
pub use tokens::{Claims, Keyring, TokenError};
