//! Authentication: passwords, session tokens, CSRF, throttling and second factors.

mod budget;
pub mod csrf;
mod current;
pub mod device;
pub mod password;
pub mod throttle;
pub mod tokens;
pub mod totp;

pub use csrf::Csrf;
pub use current::{ActiveWorkspace, ClientInfo, CurrentUser};
pub use throttle::{RetryAfter, Throttle};
pub use tokens::{Claims, Keyring, TokenError};
