//! Use cases shared by the JSON API and the HTML pages.

pub mod accounts;
pub(crate) mod health;
pub(crate) mod mfa;
pub mod profiles;
pub(crate) mod recovery;
