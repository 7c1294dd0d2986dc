//! Authentication: passwords, session tokens, CSRF, throttling and second factors.

mod budget;
pub(crate) mod csrf;
mod current;
pub(crate) mod device;
pub(crate) mod password;
pub(crate) mod throttle;
pub(crate) mod tokens;
pub mod totp;

pub use csrf::Csrf;
pub use current::{ActiveWorkspace, ClientInfo, CurrentUser};
pub use throttle::{RetryAfter, Throttle};
pub use tokens::{Claims, Keyring, TokenError};
