//! Use cases shared by the JSON API and the HTML pages.

pub mod accounts;
pub mod health;
pub mod mfa;
pub mod profiles;
pub mod recovery;
